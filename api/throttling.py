"""Rate limits with one Redis round trip per request.

DRF's throttles keep each client's history as a pickled list in the cache: a
GET and a SET on every request, each carrying the whole history (up to the
rate's number of timestamps, 600 for uploads). With a Redis cache
(``REDIS_CACHE_URL``) the throttles here keep the history in a sorted set that
one Lua script prunes, counts and appends to: the same sliding window (at most
N requests in any trailing period) and the same Retry-After.
Without Redis (a developer's locmem cache) DRF's own code runs unchanged.

When Redis cannot be reached the throttles fail open: the request goes
through, and a warning is logged at most once a minute per process. Closed
would turn a Redis outage into an outage of the whole API (uploads included,
which are designed to be stored while the broker is down); open costs only the
rate limit for the outage's length. The login lockout (django-axes) keeps its
failure counts in the database, so it keeps working meanwhile.
"""

import functools
import logging
import os
import time

import redis
from django.conf import settings
from rest_framework import throttling

from core.metrics import THROTTLE_FAIL_OPEN

logger = logging.getLogger(__name__)

# A throttle must answer quickly or not at all: a Redis that does not answer
# within these bounds counts as down.
REDIS_TIMEOUT_SECONDS = 0.5
WARNING_INTERVAL_SECONDS = 60
_last_warning = {"at": float("-inf")}

# KEYS[1]: the history; ARGV: now, period (s), limit, a unique member for now.
# Answers {allowed, requests in the window, oldest timestamp as a string}.
SLIDING_WINDOW = """
local key, now, period, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - period)
local count = redis.call('ZCARD', key)
if count >= limit then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    return {0, count, oldest[2]}
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('PEXPIRE', key, math.ceil(period * 1000))
return {1, count + 1, ''}
"""


@functools.cache
def _script(url: str):
    """One client (and connection pool) per process and URL; redis-py resets the pool after a fork."""
    client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                                  socket_timeout=REDIS_TIMEOUT_SECONDS)
    return client.register_script(SLIDING_WINDOW)


def _fail_open(exc: Exception) -> bool:
    """Let the request through while Redis is unreachable, saying so at most once an interval."""
    THROTTLE_FAIL_OPEN.inc()
    now = time.monotonic()
    if now - _last_warning["at"] >= WARNING_INTERVAL_SECONDS:
        _last_warning["at"] = now
        logger.warning("Throttling is off while Redis cannot be reached (%r); requests are let through.", exc)
    return True


class RedisRateThrottle(throttling.SimpleRateThrottle):
    """``allow_request`` and ``wait`` of DRF's SimpleRateThrottle on a Redis sorted set.

    It comes after DRF's subclasses in the concrete classes below, so that
    theirs run first (ScopedRateThrottle finds its scope and rate there).
    """

    def allow_request(self, request, view):
        url = settings.REDIS_CACHE_URL
        if not url or self.rate is None:
            return super().allow_request(request, view)
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        # Not DRF's key: a process still running DRF's code (a rolling deploy)
        # would find a sorted set where it expects its pickled list.
        try:
            allowed, self.count, oldest = _script(url)(
                keys=[self.cache.make_key(f"{self.key}:window")],
                args=[repr(self.now), self.duration, self.num_requests, f"{self.now!r}:{os.urandom(4).hex()}"],
            )
        except redis.RedisError as exc:
            return _fail_open(exc)
        self.oldest = float(oldest) if oldest else None
        return bool(allowed)

    def wait(self):
        if not settings.REDIS_CACHE_URL or self.rate is None:
            return super().wait()
        # DRF's formula: the time until the oldest request leaves the window,
        # spread over the requests that will then be available.
        remaining = self.duration - (self.now - self.oldest) if self.oldest is not None else self.duration
        available = self.num_requests - self.count + 1
        return remaining / available if available > 0 else None


class ScopedRateThrottle(throttling.ScopedRateThrottle, RedisRateThrottle):
    """DRF's ScopedRateThrottle (``throttle_scope`` of the view), one Redis round trip."""


class UserRateThrottle(throttling.UserRateThrottle, RedisRateThrottle):
    """DRF's UserRateThrottle (per user, or per IP when anonymous), one Redis round trip."""


def client_address(request) -> str:
    """The client's address as every throttle keys it (DRF's ``get_ident`` under ``NUM_PROXIES``);
    django-axes logs sign-in attempts under it too (``AXES_CLIENT_IP_CALLABLE``)."""
    return throttling.BaseThrottle().get_ident(request)
