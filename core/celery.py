"""The Celery application, its queues, and the one function that routes a file.

A worker started with ``-Q images`` consumes only the ``images`` queue, so the
routing decision made here is the whole story of which worker sees which file.
"""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun
from django.conf import settings
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")

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


def queue_for_kind(kind: str) -> str:
    """The queue that processes files of ``kind`` (``FILES_QUEUE_BY_KIND``)."""
    return settings.FILES_QUEUE_BY_KIND.get(kind, settings.FILES_DEFAULT_QUEUE)


def file_queues() -> list[str]:
    """Every queue files are routed to, default first (what ``-Q`` takes for one worker of all)."""
    return [queue.name for queue in settings.CELERY_TASK_QUEUES]
