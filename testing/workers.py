"""Real Celery worker processes for end-to-end tests, always stopped afterwards."""

import contextlib
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

from testing.live import process_env
from testing.processes import STARTUP_TIMEOUT, start_process, stop_process


def stack_env(*, var_dir: Path, media_root: Path, broker_url: str, **extra: str) -> dict[str, str]:
    """The environment web and worker processes share: the test database, this test's media and broker."""
    return process_env(var_dir=var_dir, media_root=media_root, CELERY_BROKER_URL=broker_url, **extra)


class Worker:
    """A running ``celery worker``: its process and its log."""

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
    process = start_process(command, log=log, env=env, cwd=settings.BASE_DIR)
    worker = Worker(process, log, name)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while "ready." not in worker.text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker {name} did not start:\n{worker.text()[-3000:]}")
            time.sleep(0.2)
        yield worker
    finally:
        stop_process(process)
