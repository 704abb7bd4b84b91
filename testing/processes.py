"""Processes a test or a benchmark starts: a free port, a process group, waiting until it answers.

Every process is started in a session of its own, so stopping it stops its
children too (gunicorn and Celery workers, the pool processes). No Django
here: ``bench/`` uses it from processes that are not configured for Django.
"""

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import requests

STARTUP_TIMEOUT = 30
STOP_TIMEOUT = 10


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_process(command: list[str], *, log: Path, env: dict[str, str] | None = None,
                  cwd: Path | str | None = None) -> subprocess.Popen:
    """Start ``command`` in a new session (its own process group), output and errors to ``log``
    (``env`` and ``cwd``: this process's own when not given)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def stop_processes(processes: Iterable[subprocess.Popen], timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM each process group (started with ``start_new_session``), SIGKILL what lingers.

    The groups are signalled together and share one deadline. Children that
    outlived their leader (a gunicorn or Celery child) share its group and are
    killed with it.
    """
    processes = list(processes)
    for process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)


def stop_process(process: subprocess.Popen, timeout: float = STOP_TIMEOUT) -> None:
    """Stop one process group; see ``stop_processes``."""
    stop_processes([process], timeout)


def log_tail(log: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a log file ('' while it does not exist)."""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


def wait_for_http(process: subprocess.Popen, url: str, log_tail: Callable[[], str], name: str,
                  timeout: float = STARTUP_TIMEOUT) -> None:
    """Wait until ``url`` answers 200; fail with the log's tail if ``process`` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log_tail()}")
        try:
            if requests.get(url, timeout=10).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass  # not listening yet, or its workers still booting on a busy machine
        time.sleep(0.2)
    raise RuntimeError(f"{name} did not answer {url} within {timeout}s:\n{log_tail()}")
