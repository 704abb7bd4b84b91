"""The production-like stack the benchmarks run against, on loopback, and its cleanup.

A dedicated PostgreSQL database (created, migrated, dropped afterwards), one
Redis database number (flushed before and after), a media directory of its
own, gunicorn with the production worker settings on a free port — the real
app, the reference app of ``bench/reference`` or the minimal Django project
of ``bench/reference/minimal`` — and one Celery worker process per queue.
Every process is started in its own session and killed by its process-group
id, on success, on failure and on Ctrl-C.
"""

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from testing.processes import free_port, log_tail, start_process, stop_process, wait_for_http

BASE_DIR = Path(__file__).resolve().parent.parent
BIN_DIR = Path(sys.executable).parent
SECRET_KEY = "bench-only-secret-key-" + "x" * 40  # loopback benchmark only, never deployed
START_TIMEOUT = 60


# What start_web serves: the settings and WSGI modules of the app, of the reference app
# (the app's settings with one bare view) and of the minimal Django project.
WEB_PROJECTS = {
    "app": ("core.settings", "core.wsgi"),
    "reference": ("bench.reference.settings", "bench.reference.wsgi"),
    "minimal": ("bench.reference.minimal.settings", "bench.reference.minimal.wsgi"),
}


def gunicorn_args(workers: int, timeout: int) -> list[str]:
    """The production worker settings: sync workers, ``2 × cores + 1`` by default, a timeout
    long enough for a large upload over a slow link."""
    return ["--workers", str(workers), "--worker-class", "sync", "--timeout", str(timeout),
            "--graceful-timeout", "10", "--max-requests", "0", "--log-level", "warning"]


class Stack:
    """Databases, directories and processes of one benchmark run."""

    def __init__(self, *, database_name: str, redis_db: int, postgres_url: str, redis_url: str,
                 web_workers: int, worker_queues: list[str], keep_dir: bool = False):
        self.database_name = database_name
        self.postgres_url = postgres_url
        parts = urlsplit(postgres_url)
        self.database_url = urlunsplit(parts._replace(path=f"/{database_name}"))
        self.admin_url = urlunsplit(parts._replace(path="/postgres"))
        self.redis_url = f"{redis_url.rstrip('/')}/{redis_db}"
        self.web_workers = web_workers
        self.worker_queues = worker_queues
        self.keep_dir = keep_dir
        self.dir = Path(tempfile.mkdtemp(prefix="bench-", dir=BASE_DIR / "var" if (BASE_DIR / "var").is_dir()
                                         else None))
        self.media_root = self.dir / "media"
        (self.media_root / ".tmp").mkdir(parents=True)
        self.processes: list[subprocess.Popen] = []
        self.started_pids: list[int] = []

    # --- environment --------------------------------------------------------

    def env(self, **extra) -> dict[str, str]:
        """The environment of every process of the stack (and of this one, for Django)."""
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "core.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": SECRET_KEY,
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": self.redis_url,
            "REDIS_CACHE_URL": self.redis_url,
            "VAR_DIR": str(self.dir),
            "MEDIA_ROOT": str(self.media_root),
            "FILES_MAX_UPLOAD_SIZE": str(2 * 1024**3),
            "FILES_USER_QUOTA": "0",
            # Counted (Redis round trips included) but never the limit under load.
            "THROTTLE_UPLOAD": "10000000/min",
            "THROTTLE_USER": "10000000/min",
            "JWT_ACCESS_LIFETIME": "7200",
            "LOG_LEVEL": "WARNING",
            # The benchmark's webhook receiver listens on loopback.
            "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES": "true",
            "PYTHONUNBUFFERED": "1",
        }
        env.update(extra)
        return env

    def apply_env(self) -> None:
        os.environ.update({k: v for k, v in self.env().items() if k not in ("PYTHONUNBUFFERED",)})

    # --- database and broker ------------------------------------------------

    def create_database(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.database_name}"')
        self.flush_redis()

    def drop_database(self) -> None:
        import psycopg

        with contextlib.suppress(Exception), psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')

    def flush_redis(self) -> None:
        from testing.brokers import flush_redis

        with contextlib.suppress(Exception):
            flush_redis(self.redis_url)

    # --- processes ----------------------------------------------------------

    def log_path(self, name: str) -> Path:
        return self.dir / f"{name}.log"

    def _spawn(self, name: str, args: list[str], env: dict[str, str], cwd: Path = BASE_DIR) -> subprocess.Popen:
        process = start_process(args, log=self.log_path(name), env=env, cwd=cwd)
        process.bench_name = name
        self.started_pids.append(process.pid)
        self.processes.append(process)
        return process

    def start_web(self, *, reference: bool | Literal["minimal"] = False, workers: int | None = None,
                  timeout: int = 300, source_dir: Path = BASE_DIR) -> "Web":
        """gunicorn serving the app on a free port; ``reference=True``: the reference app,
        ``reference="minimal"``: the minimal Django project; ``source_dir``: the app from another tree."""
        port = free_port()
        project = "minimal" if reference == "minimal" else "reference" if reference else "app"
        settings_module, wsgi = WEB_PROJECTS[project]
        name = project if reference else "web" if source_dir == BASE_DIR else "baseline"
        process = self._spawn(
            f"{name}-{port}",
            [str(BIN_DIR / "gunicorn"), wsgi, "--bind", f"127.0.0.1:{port}",
             *gunicorn_args(workers or self.web_workers, timeout)],
            self.env(DJANGO_SETTINGS_MODULE=settings_module),
            cwd=source_dir,
        )
        web = Web(process, port, self.log_path(process.bench_name))
        web.wait_ready()
        return web

    def start_events(self) -> "Web":
        """uvicorn serving ``core.asgi`` (the production ``events`` service; also ``make run``'s server)."""
        port = free_port()
        process = self._spawn(f"events-{port}", [
            str(BIN_DIR / "uvicorn"), "core.asgi:application", "--host", "127.0.0.1", "--port", str(port),
            "--workers", "1", "--log-level", "warning", "--no-access-log", "--timeout-graceful-shutdown", "2",
        ], self.env())
        web = Web(process, port, self.log_path(process.bench_name))
        web.wait_ready()
        return web

    def start_workers(self, source_dir: Path = BASE_DIR) -> None:
        """One Celery worker process per queue (``-c 1``), as production runs them (from another
        tree: the code before a change)."""
        for queue in self.worker_queues:
            self._spawn(f"worker-{queue}", [
                str(BIN_DIR / "celery"), "-A", "core", "worker", "-Q", queue, "--concurrency", "1",
                "--hostname", f"bench-{queue}@%h", "--without-gossip", "--without-mingle",
                "--loglevel", "WARNING",
            ], self.env(), cwd=source_dir)
        self.wait_workers()

    def restart_workers(self, source_dir: Path = BASE_DIR) -> None:
        """Stop the workers and start them again from ``source_dir``."""
        for process in [p for p in self.processes if p.bench_name.startswith("worker-")]:
            self.stop_process(process)
        self.start_workers(source_dir)

    def wait_workers(self) -> None:
        from core.celery import app

        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            self.check_alive()
            with contextlib.suppress(Exception):
                replies = app.control.ping(timeout=1.0) or []
                if len(replies) >= len(self.worker_queues):
                    return
            time.sleep(0.5)
        raise RuntimeError("Celery workers did not answer within the start timeout")

    def check_alive(self) -> None:
        for process in self.processes:
            if process.poll() is not None:
                log = self.log_path(process.bench_name).read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{process.bench_name} exited with {process.returncode}:\n{log}")

    def stop_process(self, process: subprocess.Popen) -> None:
        """Stop its process group (children that outlived it included) and forget it."""
        stop_process(process)
        if process in self.processes:
            self.processes.remove(process)

    def stop(self) -> None:
        for process in list(reversed(self.processes)):
            self.stop_process(process)
        self.flush_redis()
        self.drop_database()
        if not self.keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)


class Web:
    """One gunicorn: its master process and port."""

    def __init__(self, process: subprocess.Popen, port: int, log: Path):
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log

    def wait_ready(self) -> None:
        wait_for_http(self.process, f"{self.url}/health/live/", lambda: log_tail(self.log), "gunicorn",
                      timeout=START_TIMEOUT)

    def worker_pids(self) -> list[int]:
        """The gunicorn worker processes (children of the master)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of ``pid`` in KiB, from /proc."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


def reset_peak_rss(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux ≥ 4.0: write 5 to clear_refs); False when not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True
