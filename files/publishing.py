"""Which queue processes a file, and the one place that publishes its processing.

The task is published by name, so this module does not import ``files.tasks``:
imports run one way (views/admin → services → processing → publishing, and
tasks → processing), with no cycle even through function-level imports.
A worker started with ``-Q images`` consumes only the ``images`` queue, so
``queue_for_kind`` is the whole story of which worker sees which file.
"""

import logging

from celery import current_app
from django.conf import settings

from core import logs

from .enums import Kind

logger = logging.getLogger(__name__)

PROCESS_FILE_TASK = "files.tasks.process_file"


def queue_for_kind(kind: Kind | str) -> str:
    """The queue that processes files of ``kind`` (``FILES_QUEUE_BY_KIND``)."""
    return settings.FILES_QUEUE_BY_KIND.get(kind, settings.FILES_DEFAULT_QUEUE)


def file_queues() -> list[str]:
    """Every queue files are routed to, default first (not the webhooks queue: no file goes there)."""
    return list(dict.fromkeys([settings.FILES_DEFAULT_QUEUE, *settings.FILES_QUEUE_BY_KIND.values()]))


def enqueue_processing(record) -> bool:
    """Publish the processing of ``record`` on its kind's queue; never raises.

    When the broker is unreachable the file stays ``pending`` and the sweeper
    publishes it later, so an upload never fails or hangs on the broker.
    Callers inside a transaction publish with ``transaction.on_commit``.
    """
    # The task's log lines carry the request that queued it (core.celery reads these).
    headers = {logs.TASK_HEADER: {"request_id": logs.request_id.get(), "file_id": str(record.pk),
                                  "user_id": str(record.owner_id)}}
    try:
        current_app.send_task(PROCESS_FILE_TASK, args=[str(record.pk)], queue=queue_for_kind(record.kind),
                              retry=False, headers=headers)
    except Exception:
        logger.warning("Could not publish processing of file %s; the sweeper will retry.", record.pk,
                       exc_info=True)
        return False
    return True
