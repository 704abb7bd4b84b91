"""gunicorn's configuration file, read from the working directory by every ``gunicorn`` run here.

Command-line flags (docker/entrypoint.sh, ``make run``) still set the bind
address and workers; this file only makes gunicorn's several worker processes
add up in ``/metrics``: prometheus-client's multiprocess mode, with one
directory of value files for this server, emptied when it starts (counters
restart with the server, as Prometheus expects) and told when a worker exits.
"""

import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def _metrics_directory() -> Path:
    # core.settings' VAR_DIR default, without importing Django into the master process.
    var_dir = Path(os.environ.get("VAR_DIR") or ROOT / "var")
    return var_dir / "metrics" / f"web-{os.getpid()}"


def on_starting(server) -> None:
    """In the master, before any worker is forked (and imports prometheus-client)."""
    directory = _metrics_directory()
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)


def child_exit(server, worker) -> None:
    """A worker exited (``--max-requests``, a crash): its live gauges no longer count."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
