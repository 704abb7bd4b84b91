"""gunicorn serving this project against the test database, on a free 127.0.0.1 port.

``gunicorn_server`` runs the app as ``make run`` does (gunicorn, the whitenoise
static files) and always stops it. It runs the settings module this test
process runs (pytest-django exports ``DJANGO_SETTINGS_MODULE``, and the server
inherits it), so a user created here by a factory logs in there with the same
password hasher. Data the test writes must be committed to be seen, so tests
using it take ``transactional_db``.
"""

import contextlib
import os
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from testing.processes import free_port, log_tail, start_process, stop_process, wait_for_http

# Set per process below; the rest of the environment is the test run's own.
SERVICE_VARIABLES = {"CELERY_BROKER_URL", "REDIS_CACHE_URL", "STORAGE_BACKEND"}


def shared_database_url() -> str:
    """The test database (the one pytest-django created) as a DATABASE_URL for another process."""
    db = connection.settings_dict
    if connection.vendor != "postgresql":
        pytest.skip("the server process shares the test database, which needs PostgreSQL (make test sets it)")
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def process_env(*, var_dir: Path, media_root: Path, **extra: str) -> dict[str, str]:
    """The environment of a web or worker process: the test database, this test's VAR_DIR and media.

    Without a ``CELERY_BROKER_URL`` in ``extra`` the process uses the filesystem
    broker under ``var_dir``, and it has no Redis cache of its own: what it
    publishes stays away from the Redis the other tests use.
    """
    env = {key: value for key, value in os.environ.items() if key not in SERVICE_VARIABLES}
    env.update({
        "DATABASE_URL": shared_database_url(),
        "DB_CONN_MAX_AGE": "0",
        "VAR_DIR": str(var_dir),
        "MEDIA_ROOT": str(media_root),
        "PYTHONUNBUFFERED": "1",
        **extra,
    })
    return env


class LiveServer:
    """A running gunicorn: its base URL and its log."""

    def __init__(self, url: str, log: Path):
        self.url = url
        self.log = log

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.log, lines)


@contextlib.contextmanager
def gunicorn_server(*, var_dir: Path, media_root: Path, env: dict | None = None, workers: int = 2):
    """Serve the project with gunicorn on a free port until the block ends (the process is always stopped).

    ``env`` (e.g. ``testing.workers.stack_env``) is laid over ``process_env``.
    """
    port = free_port()
    var_dir.mkdir(parents=True, exist_ok=True)
    server = LiveServer(f"http://127.0.0.1:{port}", var_dir / "gunicorn.log")
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [str(gunicorn), "core.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--timeout", "60", "--graceful-timeout", "5", "--access-logfile", "-"]
    process = start_process(command, log=server.log, cwd=settings.BASE_DIR,
                            env={**process_env(var_dir=var_dir, media_root=media_root), **(env or {})})
    try:
        wait_for_http(process, f"{server.url}/health/live/", server.log_tail, "gunicorn")
        yield server
    finally:
        stop_process(process)


@contextlib.contextmanager
def uvicorn_server(*, var_dir: Path, media_root: Path, env: dict | None = None, workers: int = 1,
                   threads: int = 8):
    """Serve ``core.asgi`` with uvicorn as ``make run`` does (event stream on the event loop, the rest
    on ``threads`` WSGI threads) on a free port until the block ends; the process is always stopped."""
    port = free_port()
    var_dir.mkdir(parents=True, exist_ok=True)
    server = LiveServer(f"http://127.0.0.1:{port}", var_dir / "uvicorn.log")
    uvicorn = Path(sys.executable).parent / "uvicorn"
    command = [str(uvicorn), "core.asgi:application", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers), "--timeout-graceful-shutdown", "3", "--no-access-log"]
    process = start_process(command, log=server.log, cwd=settings.BASE_DIR,
                            env={**process_env(var_dir=var_dir, media_root=media_root),
                                 "WEB_THREADS": str(threads), **(env or {})})
    try:
        wait_for_http(process, f"{server.url}/health/live/", server.log_tail, "uvicorn")
        yield server
    finally:
        stop_process(process)
