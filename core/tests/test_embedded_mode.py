"""`make run`'s embedded default, run the way `make run` runs it: SQLite in WAL mode
and kombu's filesystem broker under VAR_DIR, uvicorn and one worker from
`manage.py serve`, stopped by Ctrl-C (SIGINT)."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings

from testing import samples
from testing.processes import free_port, wait_for_http
from testing.sse import EventStreamReader

pytestmark = pytest.mark.e2e

START_TIMEOUT = 60
PASSWORD = "correct-horse-battery-42"


def test_make_run_default_serves_and_processes_on_sqlite_and_filesystem_broker(tmp_path):
    var_dir = tmp_path / "var"
    port = free_port()
    # Nothing of the test run's services or settings module: manage.py's defaults, as under `make run`.
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_CACHE_URL", "MEDIA_ROOT", "STORAGE_BACKEND",
                          "DJANGO_SETTINGS_MODULE"}}
    env.update({"VAR_DIR": str(var_dir), "PORT": str(port), "PYTHONUNBUFFERED": "1",
                "DJANGO_SUPERUSER_USERNAME": "admin", "DJANGO_SUPERUSER_PASSWORD": PASSWORD})
    run = [sys.executable, "manage.py"]
    for step in (["migrate", "--no-input", "-v0"], ["ensure_superuser"]):
        done = subprocess.run(run + step, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    assert "Superuser 'admin' created." in done.stdout

    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        serve = subprocess.Popen([*run, "serve"], cwd=settings.BASE_DIR, env=env, stdout=output,
                                 stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(serve, f"{base}/health/ready/", log.read_text, "manage.py serve", timeout=START_TIMEOUT)
        printed = log.read_text()
        assert "sqlite3 database, filesystem broker" in printed
        for line in (f"API:    {base}/api/v1/", f"Docs:   {base}/api/docs/", f"Admin:  {base}/admin/"):
            assert line in printed

        session = requests.Session()
        session.post(f"{base}/api/v1/auth/register/", timeout=10,
                     json={"username": "ana", "email": "ana@example.com", "password": PASSWORD})
        tokens = session.post(f"{base}/api/v1/auth/token/", json={"username": "ana", "password": PASSWORD},
                              timeout=10).json()
        session.headers["Authorization"] = f"Bearer {tokens['access']}"
        # The event stream on SQLite: streams poll the log (no LISTEN/NOTIFY there).
        stream = EventStreamReader(f"{base}/api/v1/events/stream/",
                                   headers={"Authorization": session.headers["Authorization"]})
        assert stream.status_code == 200
        ids = [session.post(f"{base}/api/v1/upload/", files={"file": (name, content)}, timeout=30).json()["id"]
               for name, content in (("a.png", samples.png()), ("a.txt", samples.utf8_text()),
                                     ("a.pdf", samples.pdf()))]
        deadline = time.monotonic() + 60
        while True:
            statuses = [session.get(f"{base}/api/v1/files/{i}/", timeout=10).json()["status"] for i in ids]
            if all(s in ("processed", "failed") for s in statuses) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert statuses == ["processed", "processed", "processed"], log.read_text()[-3000:]
        with stream:
            seen = [stream.next(timeout=10) for _ in range(6)]
        assert sorted((e.event, e.json()["file"]["id"]) for e in seen) == sorted(
            [("file.created", i) for i in ids] + [("file.processed", i) for i in ids])
        children = subprocess.run(["pgrep", "-P", str(serve.pid)], capture_output=True, text=True).stdout.split()
        assert len(children) == 2  # uvicorn and the worker

        serve.send_signal(signal.SIGINT)  # Ctrl-C
        serve.wait(timeout=30)
        for pid in children:
            status = Path(f"/proc/{pid}/status")
            assert not status.exists() or "zombie" in status.read_text().lower()
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait(timeout=10)

    with sqlite3.connect(var_dir / "db.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT count(*) FROM files_file WHERE status = 'processed'").fetchone()[0] == 3
    assert (var_dir / "broker" / "queue").is_dir()
