"""Real Celery worker processes for end-to-end tests, always stopped afterwards."""

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import redis
from django.conf import settings

from api.tests.live import _stop, _test_database_url

WORKER_START_TIMEOUT = 30


def stack_env(*, var_dir: Path, media_root: Path, broker_url: str, **extra) -> dict:
    """The environment web and worker processes share: the test database, this test's media and broker."""
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_CACHE_URL", "STORAGE_BACKEND"}}
    env.update({
        "DATABASE_URL": _test_database_url(),
        "DB_CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": broker_url,
        "VAR_DIR": str(var_dir),
        "MEDIA_ROOT": str(media_root),
        "PYTHONUNBUFFERED": "1",
        **extra,
    })
    return env


class Worker:
    def __init__(self, process: subprocess.Popen, log: Path, name: str):
        self.process, self.log, self.name = process, log, name

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def pool_children(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split()]


@contextlib.contextmanager
def celery_worker(*, queues: list[str], env: dict, log_dir: Path, name: str, concurrency: int = 1):
    """``celery -A core worker -Q <queues>`` until the block ends; waits until it is ready."""
    log = log_dir / f"worker-{name}.log"
    command = [str(Path(sys.executable).parent / "celery"), "-A", "core", "worker", "-Q", ",".join(queues),
               "--concurrency", str(concurrency), "--hostname", f"{name}@%h", "--loglevel", "INFO",
               "--without-gossip", "--without-mingle", "--without-heartbeat"]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    worker = Worker(process, log, name)
    try:
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while "ready." not in worker.text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker {name} did not start:\n{worker.text()[-3000:]}")
            time.sleep(0.2)
        yield worker
    finally:
        _stop(process)


def flush_redis(url: str) -> None:
    redis.Redis.from_url(url).flushdb()


def queue_length(url: str, queue: str) -> int:
    return redis.Redis.from_url(url).llen(queue)
