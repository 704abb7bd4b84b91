"""The Redis databases tests and benchmarks use as broker and cache, and a Redis of a test's own."""

import contextlib
import shutil
import subprocess
import time
from pathlib import Path

import redis

from testing.processes import STARTUP_TIMEOUT, free_port, log_tail, start_process, stop_process


def flush_redis(url: str) -> None:
    """Empty the Redis database ``url`` names (and only that one)."""
    with redis.Redis.from_url(url) as client:
        client.flushdb()


def queue_length(url: str, queue: str) -> int:
    """How many messages wait in ``queue`` on the Redis broker at ``url``."""
    with redis.Redis.from_url(url) as client:
        return client.llen(queue)


class RedisServer:
    """A Redis of a test's own on a free port, that the test can stop and start again (nothing kept on disk)."""

    def __init__(self, *, port: int, log: Path):
        self.port, self.log = port, log
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = start_process(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"], log=self.log)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            try:
                with redis.Redis.from_url(self.url(), socket_connect_timeout=0.5) as client:
                    client.ping()
                return
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start:\n{log_tail(self.log)}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None


@contextlib.contextmanager
def redis_server(log_dir: Path):
    """A ``RedisServer`` started on a free port, always stopped when the block ends."""
    server = RedisServer(port=free_port(), log=log_dir / "redis.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()
