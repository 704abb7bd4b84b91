"""Throttles key anonymous clients on the address the trusted proxies report, not on a header anyone can forge."""

import pytest
from rest_framework.test import APIRequestFactory
from rest_framework.throttling import BaseThrottle

from api.throttling import ScopedRateThrottle, UserRateThrottle

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"


def wrong_login(client, username, forwarded_for=None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    return client.post(TOKEN, {"username": username, "password": "wrong-password"}, format="json", **headers)


def test_forged_forwarded_for_does_not_escape_the_login_throttle(api_client, user, settings, monkeypatch):
    """Finding 1: with no proxy in front (make run), X-Forwarded-For is the client's own text and is ignored."""
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "5/min")
    answers = [wrong_login(api_client, "nobody", f"203.0.113.{i}").status_code for i in range(8)]
    assert answers[:5] == [401] * 5
    assert answers[5:] == [429] * 3
    refused = wrong_login(api_client, "nobody", "198.51.100.7")
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0


def test_behind_one_proxy_the_address_it_appended_is_the_client(settings):
    """NUM_PROXIES=1 (production, behind our nginx): the last address, whatever the client prepended."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    request = APIRequestFactory().post(TOKEN, HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.5",
                                       REMOTE_ADDR="172.18.0.3")
    for throttle in (ScopedRateThrottle(), UserRateThrottle(), BaseThrottle()):
        assert throttle.get_ident(request) == "203.0.113.5"


def test_without_proxies_the_socket_address_is_the_client():
    request = APIRequestFactory().post(TOKEN, HTTP_X_FORWARDED_FOR="10.9.9.9", REMOTE_ADDR="192.0.2.44")
    for throttle in (ScopedRateThrottle(), UserRateThrottle()):
        assert throttle.get_ident(request) == "192.0.2.44"
