"""Throttle counters live in Redis when REDIS_CACHE_URL is set, so a limit holds
across gunicorn worker processes instead of multiplying by their number."""

import pytest
import redis
import requests
from django.conf import settings

from testing.brokers import flush_redis
from testing.live import gunicorn_server

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_login_throttle_holds_across_four_gunicorn_workers(tmp_path, media_root):
    cache_url = settings.REDIS_CACHE_URL
    if not cache_url:
        pytest.skip("needs REDIS_CACHE_URL (make test sets it)")
    flush_redis(cache_url)
    env = {"REDIS_CACHE_URL": cache_url, "THROTTLE_AUTH": "3/min"}
    try:
        with gunicorn_server(var_dir=tmp_path / "var", media_root=media_root, env=env, workers=4) as server:
            statuses = []
            for _ in range(8):
                # A new connection each time, so the requests spread over the workers.
                response = requests.post(f"{server.url}/api/v1/auth/token/", timeout=10,
                                         json={"username": "nobody", "password": "wrong"},
                                         headers={"Connection": "close"})
                statuses.append(response.status_code)
            last = response
            keys = redis.Redis.from_url(cache_url).keys("*throttle_auth_*")
    finally:
        flush_redis(cache_url)
    assert statuses == [401, 401, 401, 429, 429, 429, 429, 429]
    assert len(keys) == 1  # one shared history in Redis, not one per worker process
    assert last.json()["code"] == "throttled"
    assert int(last.headers["Retry-After"]) > 0
