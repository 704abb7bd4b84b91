"""The Celery application, its queues, and the one function that routes a file.

A worker started with ``-Q images`` consumes only the ``images`` queue, so the
routing decision made here is the whole story of which worker sees which file.
"""

import os

from celery import Celery
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")

app = Celery("core")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def queue_for_kind(kind: str) -> str:
    """The queue that processes files of ``kind`` (``FILES_QUEUE_BY_KIND``)."""
    return settings.FILES_QUEUE_BY_KIND.get(kind, settings.FILES_DEFAULT_QUEUE)


def file_queues() -> list[str]:
    """Every queue files are routed to, default first (what ``-Q`` takes for one worker of all)."""
    return [queue.name for queue in settings.CELERY_TASK_QUEUES]
