"""Real processes for end-to-end tests: gunicorn serving this project, and headless Chromium.

``gunicorn_server`` runs the app exactly as ``make run`` does (gunicorn, the
whitenoise static files, DEBUG as by default) against the test database, on a
free 127.0.0.1 port, and always stops it. Data the test writes must be
committed to be seen, so tests using it take ``transactional_db``.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from django.conf import settings
from django.db import connection

STARTUP_TIMEOUT = 30
STOP_TIMEOUT = 10
CHROMIUM = "/usr/bin/chromium"
# As root headless Chromium needs --no-sandbox; the rest keep it off the closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _test_database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the server process shares the test database, which needs PostgreSQL (make test sets it)")
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class LiveServer:
    def __init__(self, url: str, log: Path):
        self.url = url
        self.log = log

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""


@contextlib.contextmanager
def gunicorn_server(*, var_dir: Path, media_root: Path, env: dict | None = None, workers: int = 2):
    """Serve the project with gunicorn on a free port until the block ends (the process is always stopped).

    Its own broker (the filesystem one under ``var_dir``) and cache keep
    what it publishes away from the Redis the other tests use.
    """
    port = free_port()
    process_env = {key: value for key, value in os.environ.items()
                   if key not in {"CELERY_BROKER_URL", "REDIS_CACHE_URL", "STORAGE_BACKEND"}}
    process_env.update({
        "DATABASE_URL": _test_database_url(),
        "DB_CONN_MAX_AGE": "0",
        "VAR_DIR": str(var_dir),
        "MEDIA_ROOT": str(media_root),
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    })
    var_dir.mkdir(parents=True, exist_ok=True)
    log = var_dir / "gunicorn.log"
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [str(gunicorn), "core.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--timeout", "60", "--graceful-timeout", "5", "--access-logfile", "-"]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=process_env, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    server = LiveServer(f"http://127.0.0.1:{port}", log)
    try:
        _wait_until_live(process, server)
        yield server
    finally:
        _stop(process)


def _wait_until_live(process: subprocess.Popen, server: LiveServer) -> None:
    wait_for_http(process, f"{server.url}/health/live/", server.log_tail, "gunicorn")


def wait_for_http(process: subprocess.Popen, url: str, log_tail, name: str, timeout: float = STARTUP_TIMEOUT) -> None:
    """Wait until ``url`` answers 200; fail with the log's tail if ``process`` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log_tail()}")
        try:
            if requests.get(url, timeout=10).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{name} did not answer {url} within {timeout}s:\n{log_tail()}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT)


@contextlib.contextmanager
def chromium_page():
    """A page in Debian's headless Chromium driven by Playwright; the browser is always closed."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (scripts/system-deps.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                                             timeout=30_000)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=False)
            page = context.new_page()
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()


def screenshot(page, name: str, *, scroll_to=None) -> Path:
    """Save a screenshot under var/screenshots/ for a person to look at: the whole page, or the
    window scrolled so that the ``scroll_to`` locator is at its top."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    if scroll_to is not None:
        scroll_to.evaluate("element => element.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(target), full_page=scroll_to is None)
    return target
