"""The invariant: every committed upload ends processed or failed, exactly once.

Claims, retries and the sweeper are exercised here in-process; the
end-to-end tests prove the same with real workers and a real SIGKILL.
"""

import ast
import json
from datetime import timedelta

import pytest
import redis
from django.db import OperationalError
from django.utils import timezone

from files import processing
from files.models import File, Status
from files.processing import Claim
from files.tasks import process_file
from testing import samples
from testing.brokers import flush_redis
from testing.factories import FileFactory
from testing.uploads import upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def text_file(auth_client):
    return File.objects.get(pk=upload(auth_client, b"some words here\n", "a.txt").json()["id"])


def test_second_claim_by_another_task_is_busy(text_file):
    assert isinstance(processing.file_claim(file_id=text_file.pk, task_id="t1").record, File)
    assert processing.file_claim(file_id=text_file.pk, task_id="t2").outcome == Claim.BUSY


def test_redelivered_task_reclaims_its_own_file(text_file):
    processing.file_claim(file_id=text_file.pk, task_id="t1")
    again = processing.file_claim(file_id=text_file.pk, task_id="t1").record
    assert isinstance(again, File) and again.attempts == 2


def test_stale_claim_can_be_taken_over(text_file, settings):
    processing.file_claim(file_id=text_file.pk, task_id="t1")
    File.objects.filter(pk=text_file.pk).update(status_changed_at=timezone.now() - timedelta(hours=1))
    assert isinstance(processing.file_claim(file_id=text_file.pk, task_id="t2").record, File)


def test_only_one_finish_counts(text_file):
    record = processing.file_claim(file_id=text_file.pk, task_id="t1").record
    assert processing.file_process(record=record, task_id="t1") is True
    # A duplicate delivery of the same task that got this far finds nothing to finish.
    assert processing.file_process(record=record, task_id="t1") is False
    assert processing.file_claim(file_id=text_file.pk, task_id="t1").outcome == Claim.GONE
    text_file.refresh_from_db()
    assert text_file.status == Status.PROCESSED and text_file.attempts == 1


def test_finished_or_deleted_files_are_left_alone(text_file):
    assert process_file.apply(args=[str(text_file.pk)]).get() == "done"
    assert process_file.apply(args=[str(text_file.pk)]).get() == Claim.GONE
    assert process_file.apply(args=["00000000-0000-0000-0000-000000000000"]).get() == Claim.GONE


def test_attempts_are_bounded(text_file, settings):
    settings.FILES_MAX_PROCESSING_ATTEMPTS = 2
    File.objects.filter(pk=text_file.pk).update(attempts=2)
    assert processing.file_claim(file_id=text_file.pk, task_id="t9").outcome == Claim.EXHAUSTED
    text_file.refresh_from_db()
    assert text_file.status == Status.FAILED
    assert text_file.error == "Processing was attempted 2 times without finishing; reprocess the file to try again."


def test_transient_error_releases_the_claim_and_retries(text_file, monkeypatch):
    calls = []

    def flaky(*, record, task_id):
        calls.append(task_id)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(processing, "file_process", flaky)
    retried = []
    monkeypatch.setattr(process_file, "retry", lambda exc, countdown: retried.append(countdown) or exc)
    with pytest.raises(OperationalError):
        process_file.apply(args=[str(text_file.pk)], throw=True)
    text_file.refresh_from_db()
    assert text_file.status == Status.PENDING and text_file.claimed_by == ""
    assert len(calls) == 1 and 1 <= retried[0] <= 2  # first backoff: 2 s with full jitter


def test_transient_errors_end_in_failed_after_the_last_attempt(text_file, monkeypatch, settings):
    settings.FILES_MAX_PROCESSING_ATTEMPTS = 1

    def flaky(*, record, task_id):
        raise OSError("storage unavailable")

    monkeypatch.setattr(processing, "file_process", flaky)
    assert process_file.apply(args=[str(text_file.pk)]).get() == "failed"
    text_file.refresh_from_db()
    assert text_file.status == Status.FAILED
    assert text_file.error == "Processing failed 1 times (OSError); reprocess the file to try again."


def test_permanent_error_fails_at_once_without_retry(auth_client):
    created = upload(auth_client, samples.corrupt_png(), "broken.png").json()
    assert process_file.apply(args=[created["id"]]).get() == "done"
    record = File.objects.get(pk=created["id"])
    assert (record.status, record.attempts) == (Status.FAILED, 1)


@pytest.fixture
def broker(settings):
    """The real Redis broker of the test run, emptied before and after."""
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("needs the Redis broker (make test sets CELERY_BROKER_URL)")
    flush_redis(settings.CELERY_BROKER_URL)
    yield settings.CELERY_BROKER_URL
    flush_redis(settings.CELERY_BROKER_URL)


def published_file_ids(url: str, queue: str) -> list[str]:
    messages = redis.Redis.from_url(url).lrange(queue, 0, -1)
    return [ast.literal_eval(json.loads(m)["headers"]["argsrepr"])[0] for m in messages]


def test_sweeper_republishes_old_pending_files(user, settings, broker):
    old = FileFactory(owner=user, status=Status.PENDING, kind="image",
                      status_changed_at=timezone.now() - timedelta(seconds=settings.FILES_SWEEP_PENDING_AFTER + 5))
    FileFactory(owner=user, status=Status.PENDING)  # fresh: its message may still be on its way
    assert processing.files_sweep() == {"requeued": 1, "failed": 0}
    assert published_file_ids(broker, "images") == [str(old.pk)]
    assert published_file_ids(broker, "default") == []
    assert processing.files_sweep() == {"requeued": 0, "failed": 0}  # touched, not republished at once


def test_sweeper_resolves_files_stuck_in_processing(user, settings, broker):
    long_ago = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    retry = FileFactory(owner=user, status=Status.PROCESSING, attempts=1, claimed_by="dead", status_changed_at=long_ago)
    give_up = FileFactory(owner=user, status=Status.PROCESSING, attempts=settings.FILES_MAX_PROCESSING_ATTEMPTS,
                          claimed_by="dead", status_changed_at=long_ago)
    running = FileFactory(owner=user, status=Status.PROCESSING, attempts=1, claimed_by="alive")
    assert processing.files_sweep() == {"requeued": 1, "failed": 1}
    retry.refresh_from_db(), give_up.refresh_from_db(), running.refresh_from_db()
    assert (retry.status, retry.claimed_by) == (Status.PENDING, "")
    assert give_up.status == Status.FAILED and "did not finish in time" in give_up.error
    assert (running.status, running.claimed_by) == (Status.PROCESSING, "alive")
    assert published_file_ids(broker, "default") == [str(retry.pk)]


def test_broker_failure_at_enqueue_is_logged_not_raised(text_file, monkeypatch, caplog):
    from core.celery import app
    from files import publishing

    def down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(app, "send_task", down)
    assert publishing.enqueue_processing(text_file) is False
    assert "the sweeper will retry" in caplog.text
