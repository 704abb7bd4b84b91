"""When Redis or PostgreSQL blinks: uploads go on without Redis, and a database outage is 503, not 500.

Real processes throughout: gunicorn, a Redis of the test's own that the test
stops and starts, a Celery worker, the sweeper, and a TCP proxy in front of
the real PostgreSQL that the test cuts and restores.
"""

import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from files.enums import Status
from files.models import File
from testing import samples
from testing.brokers import redis_server
from testing.factories import PASSWORD, UserFactory
from testing.live import gunicorn_server, shared_database_url
from testing.network import TcpProxy
from testing.processes import free_port
from testing.workers import celery_worker, stack_env

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


def token(server, user) -> dict:
    response = requests.post(f"{server.url}/api/v1/auth/token/", timeout=10,
                             json={"username": user.username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access']}"}


def upload(server, auth, n: int) -> requests.Response:
    return requests.post(f"{server.url}/api/v1/upload/", headers=auth, timeout=10,
                         files={"file": (f"note-{n}.txt", samples.utf8_text() + str(n).encode())})


def test_uploads_go_on_while_redis_is_down_and_each_is_processed_once_after(transactional_db, tmp_path,
                                                                             media_root):
    user = UserFactory()
    with redis_server(tmp_path) as redis:
        env = stack_env(var_dir=tmp_path / "var", media_root=media_root, broker_url=redis.url(0),
                        REDIS_CACHE_URL=redis.url(1), FILES_SWEEP_PENDING_AFTER="0")
        with gunicorn_server(var_dir=tmp_path / "var", media_root=media_root, env=env) as server:
            auth = token(server, user)
            redis.stop()
            answers = [upload(server, auth, n) for n in range(6)]
            listing = requests.get(f"{server.url}/api/v1/files/", headers=auth, timeout=10)
            ready = requests.get(f"{server.url}/health/ready/", timeout=10)
            metrics = requests.get(f"{server.url}/metrics", timeout=10).text
            redis.start()
        assert [answer.status_code for answer in answers] == [201] * 6, [a.text for a in answers]
        assert {answer.json()["status"] for answer in answers} == {"pending"}
        assert listing.status_code == 200 and listing.json()["count"] == 6
        assert ready.status_code == 503 and ready.json()["errors"]["broker"] == ["unavailable"]
        let_through = [sample.value for family in text_string_to_metric_families(metrics)
                       for sample in family.samples if sample.name == "uploads_throttle_fail_open_total"]
        assert sum(let_through) >= 7  # six uploads and the listing, at least
        assert set(File.objects.values_list("status", flat=True)) == {Status.PENDING}

        # Redis is back (empty: nothing was published while it was down). The sweeper publishes each file.
        with celery_worker(queues=["default"], env=env, log_dir=tmp_path, name="after-outage"):
            sweep = subprocess.run([sys.executable, "manage.py", "sweep_files"], cwd=settings.BASE_DIR, env=env,
                                   capture_output=True, text=True, timeout=60)
            assert sweep.returncode == 0, sweep.stderr
            deadline = time.monotonic() + 60
            while File.objects.exclude(status=Status.PROCESSED).exists() and time.monotonic() < deadline:
                time.sleep(0.2)
    files = list(File.objects.values_list("status", "attempts"))
    assert files == [(Status.PROCESSED, 1)] * 6


def test_database_outage_is_503_with_retry_after_and_the_same_client_recovers(transactional_db, tmp_path,
                                                                             media_root):
    user = UserFactory()
    database = urlsplit(shared_database_url())
    proxy = TcpProxy(port=free_port(), target=(database.hostname, database.port or 5432))
    proxied = urlunsplit(database._replace(netloc=f"{database.username}@127.0.0.1:{proxy.port}"))
    proxy.start()
    try:
        # Persistent connections, as in production: the outage cuts a connection the workers hold.
        env = {"DATABASE_URL": proxied, "DB_CONN_MAX_AGE": "60"}
        with gunicorn_server(var_dir=tmp_path / "var", media_root=media_root, env=env) as server:
            session = requests.Session()
            auth = token(server, user)
            assert session.get(f"{server.url}/api/v1/files/", headers=auth, timeout=10).status_code == 200

            proxy.stop()
            during = [session.get(f"{server.url}/api/v1/files/", headers=auth, timeout=10) for _ in range(4)]
            refused_upload = upload(server, auth, 0)
            proxy.start()
            after = session.get(f"{server.url}/api/v1/files/", headers=auth, timeout=10)
            log = server.log_tail(200)
    finally:
        proxy.stop()
    for response in [*during, refused_upload]:
        assert response.status_code == 503, (response.status_code, response.text, log)
        assert response.json() == {"code": "unavailable", "errors": {},
                                   "detail": "The service is temporarily unavailable; retry shortly."}
        assert response.headers["Retry-After"] == "5"
    assert after.status_code == 200, (after.text, log)
    assert "Traceback" not in log
    assert File.objects.count() == 0


def test_a_database_error_that_is_not_about_availability_is_not_unavailable(db):
    """A statement timeout is the query's problem, not an outage: it stays a 500."""
    from django.db import OperationalError, connection, transaction

    from core.availability import is_unavailable

    with pytest.raises(OperationalError) as raised, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 10")
        cursor.execute("SELECT pg_sleep(1)")
    assert raised.value.__cause__.sqlstate == "57014"
    assert not is_unavailable(raised.value)
