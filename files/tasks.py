"""Celery tasks: thin wrappers that load a row and call the pipeline.

``files.publishing`` publishes them by name; acknowledgement after the task
(``acks_late``, ``reject_on_worker_lost``) is set once, in the CELERY_TASK_*
settings, for every task.
"""

import logging
import random
import time

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError

from core import metrics
from core.storage import STORAGE_ERRORS

from . import processing
from .resumable.services import uploads_expire

logger = logging.getLogger(__name__)

# Errors worth retrying: the database or the storage hiccupped, not the file.
TRANSIENT_ERRORS = (DatabaseError, *STORAGE_ERRORS)
RETRY_BASE_SECONDS = 2
RETRY_MAX_SECONDS = 300


@shared_task(bind=True, max_retries=None)
def process_file(self, file_id: str) -> str:
    """Process one file; idempotent, safe to run twice or after a worker died."""
    task_id = self.request.id or "eager"
    queue = (self.request.delivery_info or {}).get("routing_key")
    logger.info("Processing file %s from queue %s (attempt of task %s)", file_id, queue, task_id)
    claim = processing.file_claim(file_id=file_id, task_id=task_id)
    if claim.record is None:
        return claim.outcome.value
    claimed = claim.record
    started = time.perf_counter()
    outcome = "lost"  # until proven otherwise: an exception no branch below expects
    try:
        finished = processing.file_process(record=claimed, task_id=task_id)
        outcome = claimed.status if finished else "lost"
    except SoftTimeLimitExceeded:
        processing.file_fail(record=claimed, task_id=task_id,
                             error=f"Processing took longer than {settings.CELERY_TASK_SOFT_TIME_LIMIT} seconds.")
        outcome = "failed"
        return "failed"
    except TRANSIENT_ERRORS as exc:
        attempt = claimed.attempts
        if attempt >= settings.FILES_MAX_PROCESSING_ATTEMPTS:
            processing.file_fail(record=claimed, task_id=task_id,
                                 error=f"Processing failed {attempt} times ({type(exc).__name__}); "
                                       "reprocess the file to try again.")
            outcome = "failed"
            return "failed"
        processing.file_release(file_id=file_id, task_id=task_id)
        outcome = "retry"
        delay = min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** (attempt - 1))
        countdown = random.uniform(delay / 2, delay)  # full jitter keeps retries from stampeding
        logger.warning("Transient error processing %s (attempt %s): %r; retrying in %.1fs",
                       file_id, attempt, exc, countdown)
        raise self.retry(exc=exc, countdown=countdown) from exc
    finally:
        metrics.PROCESSING_DURATION.labels(claimed.kind, outcome).observe(time.perf_counter() - started)
    return "done"


@shared_task
def sweep_files() -> dict:
    """Periodic (Celery beat): see ``processing.files_sweep``."""
    return processing.files_sweep()


@shared_task
def expire_uploads() -> int:
    """Periodic (Celery beat): see ``resumable.services.uploads_expire``."""
    return uploads_expire()
