"""The Redis throttles keep DRF's sliding window and Retry-After, in one round trip."""

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIRequestFactory

from api.throttling import ScopedRateThrottle, UserRateThrottle

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_cache():
    if not settings.REDIS_CACHE_URL:
        pytest.skip("needs REDIS_CACHE_URL (make test sets it)")
    return redis.Redis.from_url(settings.REDIS_CACHE_URL)


class UploadLikeView:
    throttle_scope = "upload"


def throttle_at(cls, now: float, monkeypatch):
    throttle = cls()
    monkeypatch.setattr(throttle, "timer", lambda: now)
    return throttle


def request_of(user):
    request = APIRequestFactory().post("/api/v1/upload/")
    request.user = user
    return request


def test_limit_holds_over_a_sliding_window_with_drfs_retry_after(user, redis_cache, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "upload", "3/min")
    request, view = request_of(user), UploadLikeView()
    for second in (0, 10, 20):
        assert throttle_at(ScopedRateThrottle, 1000.0 + second, monkeypatch).allow_request(request, view)
    refused = throttle_at(ScopedRateThrottle, 1030.0, monkeypatch)
    assert not refused.allow_request(request, view)
    assert refused.wait() == pytest.approx(30.0)  # the first request leaves the window at 1060
    assert not throttle_at(ScopedRateThrottle, 1059.0, monkeypatch).allow_request(request, view)
    assert throttle_at(ScopedRateThrottle, 1060.5, monkeypatch).allow_request(request, view)

    key = cache.make_key(f"throttle_upload_{user.pk}:window")
    assert redis_cache.type(key) == b"zset"
    assert redis_cache.zcard(key) == 3  # refused requests are not recorded
    assert 0 < redis_cache.pttl(key) <= 60_000


def test_limits_are_per_user_and_per_scope(user, other_user, redis_cache, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "upload", "1/min")
    monkeypatch.setitem(UserRateThrottle.THROTTLE_RATES, "user", "1/min")
    view = UploadLikeView()
    assert throttle_at(ScopedRateThrottle, 1000.0, monkeypatch).allow_request(request_of(user), view)
    assert not throttle_at(ScopedRateThrottle, 1001.0, monkeypatch).allow_request(request_of(user), view)
    assert throttle_at(ScopedRateThrottle, 1001.0, monkeypatch).allow_request(request_of(other_user), view)
    assert throttle_at(UserRateThrottle, 1001.0, monkeypatch).allow_request(request_of(user), view)


def test_without_redis_drfs_cache_history_is_used(user, settings, monkeypatch):
    settings.REDIS_CACHE_URL = ""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "upload", "1/min")
    request, view = request_of(user), UploadLikeView()
    assert throttle_at(ScopedRateThrottle, 1000.0, monkeypatch).allow_request(request, view)
    refused = throttle_at(ScopedRateThrottle, 1010.0, monkeypatch)
    assert not refused.allow_request(request, view)
    assert refused.wait() == pytest.approx(50.0)
