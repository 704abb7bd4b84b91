"""Per-username lockout (finding 2): repeated wrong passwords lock the username out of
auth/token/ and the admin login, whatever addresses they come from."""

import time
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from testing.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture(autouse=True)
def behind_one_proxy(settings):
    """Each attempt from another address, as a botnet would: the address throttle never fires."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    settings.AXES_FAILURE_LIMIT = 3


def sign_in(username, password, address):
    return APIClient().post(TOKEN, {"username": username, "password": password}, format="json",
                            HTTP_X_FORWARDED_FOR=address)


def test_api_locks_the_username_out_whatever_the_address(user, other_user, settings):
    answers = [sign_in(user.username, "wrong", f"203.0.113.{i}") for i in range(3)]
    assert [a.status_code for a in answers] == [401, 401, 429]
    locked = sign_in(user.username, PASSWORD, "198.51.100.1")
    assert locked.status_code == 429
    assert locked.json() == {"code": "throttled", "errors": {},
                             "detail": "Too many failed sign-ins for this account; try again in 900 seconds."}
    assert locked["Retry-After"] == "900"
    assert "access" not in locked.json()
    assert sign_in(other_user.username, PASSWORD, "203.0.113.1").status_code == 200  # others unaffected


def test_the_lockout_ends_after_the_cool_off(user, settings):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=1)
    for i in range(3):
        sign_in(user.username, "wrong", f"203.0.113.{i}")
    assert sign_in(user.username, PASSWORD, "198.51.100.1")["Retry-After"] == "1"
    time.sleep(1.2)
    assert sign_in(user.username, PASSWORD, "198.51.100.2").status_code == 200


def test_admin_login_locks_the_username_out(client, settings):
    admin = UserFactory(is_staff=True, is_superuser=True)
    for i in range(3):
        wrong = client.post(ADMIN_LOGIN, {"username": admin.username, "password": "wrong", "next": "/admin/"},
                            REMOTE_ADDR=f"203.0.113.{i}")
        assert wrong.status_code in (200, 429)
    locked = client.post(ADMIN_LOGIN, {"username": admin.username, "password": PASSWORD, "next": "/admin/"},
                         REMOTE_ADDR="198.51.100.1")
    assert locked.status_code == 429
    assert locked.json()["code"] == "throttled"
    assert locked["Retry-After"] == "900"
    assert "_auth_user_id" not in client.session


def test_ensure_superuser_refuses_a_password_the_validators_refuse(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "root")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "12345678")
    with pytest.raises(CommandError, match="DJANGO_SUPERUSER_PASSWORD"):
        call_command("ensure_superuser")
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="root").exists()
