"""The Celery application: configured from Django's settings (``CELERY_*``), tasks autodiscovered.

Which queue a file goes to is decided in ``files.publishing``.
"""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun
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
