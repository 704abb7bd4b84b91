"""The Celery application: configured from Django's settings (``CELERY_*``), tasks autodiscovered.

Which queue a file goes to is decided in ``files.publishing``.
"""

import logging
import os
import shutil
import sys
from pathlib import Path

from celery import Celery
from celery.signals import (
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_shutdown,
    worker_shutdown,
)
from django.db import close_old_connections

from core.logs import TASK_HEADER, bind_task_context, unbind

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
logger = logging.getLogger(__name__)

app = Celery("core")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _recycle_database_connections(task=None, **kwargs) -> None:
    """Around each task, what Django does around each request: close a connection
    that is broken or older than ``CONN_MAX_AGE``, and health-check the rest
    (``CONN_HEALTH_CHECKS``) before their next query.

    Celery's Django fixup would instead close every connection before and after
    every task, so each task paid a new PostgreSQL connection (``CELERY_DB_REUSE_MAX``
    limits that to one in so many tasks). An eager task runs inside the caller's
    request or transaction, whose connection is not ours to touch.
    """
    if task is not None and not getattr(task.request, "is_eager", False):
        close_old_connections()


# --- Log context ---------------------------------------------------------------

_log_tokens: dict[str, list] = {}


@task_prerun.connect
def _bind_log_context(task_id=None, task=None, **kwargs) -> None:
    """The task's lines carry the request id, file id and user id its publisher sent (``core.logs``)."""
    if task is not None:
        _log_tokens[task_id] = bind_task_context(getattr(task.request, TASK_HEADER, None))


@task_postrun.connect
def _unbind_log_context(task_id=None, **kwargs) -> None:
    tokens = _log_tokens.pop(task_id, None)
    if tokens:
        unbind(tokens)


# --- Metrics -------------------------------------------------------------------
# A worker's pool processes write their metrics to files in one directory per
# worker (prometheus-client's multiprocess mode); the worker's main process
# serves their sum on CELERY_METRICS_PORT. prometheus-client picks its mode
# when first imported, which Django's setup in the worker does before any
# worker signal, so the directory is chosen here, when this module is imported
# by `celery ... worker`.


def _is_worker() -> bool:
    return "worker" in sys.argv[1:] and "celery" in Path(sys.argv[0]).as_posix()


if _is_worker():
    # What a worker commits needs no wait for the disk: a commit lost in a crash leaves
    # a claim or a finish undone, which the pipeline redoes (README, "Processing").
    os.environ.setdefault("DB_SYNCHRONOUS_COMMIT", "off")
    # core.settings' VAR_DIR default, before Django's settings are loaded.
    _directory = Path(os.environ.get("VAR_DIR") or Path(__file__).resolve().parent.parent / "var")
    _directory = _directory / "metrics" / f"worker-{os.getpid()}"
    shutil.rmtree(_directory, ignore_errors=True)
    _directory.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_directory)


@worker_init.connect
def _serve_metrics(**kwargs) -> None:
    from django.conf import settings

    if not settings.CELERY_METRICS_PORT:
        return
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry(auto_describe=False)
    MultiProcessCollector(registry)
    try:
        start_http_server(settings.CELERY_METRICS_PORT, addr=settings.CELERY_METRICS_ADDR, registry=registry)
    except OSError:
        # Metrics are worth less than processing: a taken port must not stop the worker.
        logger.exception("Cannot serve metrics on %s:%s", settings.CELERY_METRICS_ADDR, settings.CELERY_METRICS_PORT)


@worker_process_shutdown.connect
def _mark_process_dead(pid=None, **kwargs) -> None:
    from prometheus_client import multiprocess

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid or os.getpid())


@worker_shutdown.connect
def _remove_metrics_directory(**kwargs) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if Path(directory).name == f"worker-{os.getpid()}":
        shutil.rmtree(directory, ignore_errors=True)
