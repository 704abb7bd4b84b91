"""The health check of a persistent connection (``core.postgresql``): no query while the socket is quiet,
a closed connection still caught, Django's ``SELECT 1`` whenever anything waits on the socket."""

import time

import psycopg
import pytest
from django.db import connection, connections

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def own_connection():
    """A second connection to the test database, as a web or worker process holds one."""
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


@pytest.fixture
def observer():
    """A plain psycopg connection that watches the other one from outside."""
    settings = connection.settings_dict
    with psycopg.connect(host=settings["HOST"] or "127.0.0.1", port=settings["PORT"] or 5432,
                         user=settings["USER"], password=settings["PASSWORD"] or None, dbname=settings["NAME"],
                         autocommit=True) as conn:
        yield conn


def _last_statement(observer, pid: int) -> str:
    return observer.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()[0]


def _wait_readable(wrapper, seconds: float = 5.0) -> None:
    import select

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if select.select([wrapper.connection.fileno()], [], [], 0.05)[0]:
            return
    raise AssertionError("nothing arrived on the connection's socket")


def test_the_backend_is_djangos_postgresql_one():
    assert connection.vendor == "postgresql"
    assert type(connections["default"]).__module__ == "core.postgresql.base"


def test_a_healthy_connection_is_usable_without_a_query(own_connection, observer):
    with own_connection.cursor() as cursor:
        cursor.execute("SELECT 'marker'")
    pid = own_connection.connection.info.backend_pid
    assert own_connection.is_usable() is True
    assert _last_statement(observer, pid) == "SELECT 'marker'"


def test_a_connection_the_server_closed_is_not_usable(own_connection, observer):
    pid = own_connection.connection.info.backend_pid
    observer.execute("SELECT pg_terminate_backend(%s)", [pid])
    _wait_readable(own_connection)
    assert own_connection.is_usable() is False
    # What CONN_HEALTH_CHECKS then does before the next query: a new connection, and it works.
    own_connection.health_check_done = False
    own_connection.close_if_health_check_failed()
    with own_connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert own_connection.connection.info.backend_pid != pid


def test_anything_else_on_the_socket_gets_djangos_select_1(own_connection, observer):
    with own_connection.cursor() as cursor:
        cursor.execute("LISTEN health_check_test")
    pid = own_connection.connection.info.backend_pid
    observer.execute("NOTIFY health_check_test, 'hello'")
    _wait_readable(own_connection)
    assert own_connection.is_usable() is True
    assert _last_statement(observer, pid) == "SELECT 1"


SHOW_SYNCHRONOUS_COMMIT = """
import sys
sys.argv = [sys.argv[1], *sys.argv[2:]]
import core  # what `celery -A core …` imports first
import django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("SHOW synchronous_commit")
    print(cursor.fetchone()[0])
"""


@pytest.mark.parametrize(("argv", "expected"), [
    (["celery", "-A", "core", "worker", "-Q", "default"], "off"),
    (["celery", "-A", "core", "beat"], "on"),
    (["gunicorn", "core.wsgi"], "on"),
])
def test_celery_workers_commit_without_waiting_for_the_disk_and_the_web_waits(argv, expected):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from testing.live import shared_database_url

    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "DATABASE_URL": shared_database_url(), "DJANGO_SETTINGS_MODULE": "core.settings_test"}
    env.pop("DB_SYNCHRONOUS_COMMIT", None)
    done = subprocess.run([sys.executable, "-c", SHOW_SYNCHRONOUS_COMMIT, str(bin_dir / argv[0]), *argv[1:]],
                          env=env, cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-1] == expected
