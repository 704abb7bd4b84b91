"""The lifecycle of a resumable upload: create (reserving its length against the quota),
append a PATCH body, complete into a File, terminate, expire.

The quota moves in the same transactions as the rows: ``length`` is reserved
when the upload is created, released when it is terminated, expires or is
refused at completion, and becomes the File's usage when it completes (the
File is created without a second reservation). The completing PATCH goes
through ``files.services.file_create_from_stored``: the same checks as a
multipart upload. One PATCH at a time holds an upload: a short lease in its
row, renewed while the body streams, so a PATCH whose process died frees the
upload within ``PATCH_LEASE``, and a PATCH that lost its lease (stalled longer
than that while another took over) stops before writing another byte.
"""

import logging
from collections.abc import Callable, Iterator
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.exceptions import ApplicationError, Conflict
from core.storage import STORAGE_ERRORS, open_stream

from .. import services as file_services
from ..errors import EmptyFile, FileTooLarge
from ..models import ResumableUpload
from ..names import safe_display_name
from ..uploads import StreamedFacts
from .stores import Appended, BodyTooLong, partial_store

logger = logging.getLogger(__name__)

READ_SIZE = 256 * 1024
# How long a PATCH holds an upload without renewing; renewed once less than half is left.
PATCH_LEASE = timedelta(seconds=60)
DEFAULT_NAME = "upload"


class PastUploadLength(ApplicationError):
    code = "invalid"
    detail = "The body goes past Upload-Length; nothing of it was kept."


def _expiry():
    return timezone.now() + timedelta(seconds=settings.FILES_TUS_EXPIRY)


def upload_create(*, owner, length: int, filename: str | None) -> ResumableUpload:
    """Start an upload of ``length`` bytes for ``owner``, reserving them against the quota.

    Refuses before any byte: 400 ``empty_file`` for 0, 413 ``file_too_large``
    over ``FILES_MAX_UPLOAD_SIZE``, 413 ``quota_exceeded`` when the quota
    cannot hold ``length`` more bytes (one conditional UPDATE, race-safe).
    """
    if length == 0:
        raise EmptyFile()
    if length > settings.FILES_MAX_UPLOAD_SIZE:
        raise FileTooLarge(limit=settings.FILES_MAX_UPLOAD_SIZE, size=length)
    file_services.quota_check(user=owner, incoming=length)
    upload = ResumableUpload(owner=owner, length=length, expires_at=_expiry(),
                             name=safe_display_name(filename or DEFAULT_NAME))
    store = partial_store()
    store.begin(upload)
    try:
        with transaction.atomic():
            file_services.quota_reserve(owner_id=owner.pk, size=length)
            upload.save(force_insert=True)
    except BaseException:
        store.discard(upload)
        raise
    return upload


def upload_append(*, upload: ResumableUpload, offset: int, read: Callable[[int], bytes],
                  declared_size: int | None) -> ResumableUpload:
    """Append a PATCH body, read through ``read(n)``, at ``offset``; the upload as it is now.

    409 ``conflict`` when ``offset`` is not the upload's (or another PATCH
    holds it); 400 ``invalid`` when the body goes past ``length`` (before
    reading when ``declared_size`` says so), keeping none of it. A body that
    ends early (the connection broke) keeps what arrived. The PATCH that
    reaches ``length`` turns the upload into a File (``upload.file``), or
    raises the refusal of ``files.services.file_check`` with nothing kept.
    """
    if upload.file_id is not None or offset != upload.offset:
        raise Conflict(f"Upload-Offset is {offset} but the upload is at {upload.offset}; "
                       "send HEAD and resume from its offset.")
    remaining = upload.length - upload.offset
    if declared_size is not None and declared_size > remaining:
        raise PastUploadLength(f"The body of {declared_size} bytes goes past Upload-Length "
                               f"({remaining} bytes remain); nothing of it was kept.")
    lease = PatchLease.take(upload)
    store = partial_store()
    try:
        try:
            appended = store.append(upload, _body_chunks(read, remaining, lease))
        except BodyTooLong as exc:
            raise PastUploadLength() from exc
        if appended.offset == upload.length:
            return _complete(upload, store, appended)
        if appended.offset != upload.offset:
            if not lease.held().update(offset=appended.offset, s3_parts=appended.parts, expires_at=_expiry()):
                raise LeaseLost()
            store.forget_replaced(upload, appended)
    finally:
        lease.release()
    upload.refresh_from_db()
    return upload


class LeaseLost(Conflict):
    detail = "Another PATCH took this upload over; send HEAD and resume from its offset."


class PatchLease:
    """One PATCH's hold on an upload: a time in the row that only this PATCH knows."""

    def __init__(self, upload: ResumableUpload, until):
        self.upload_id, self.until = upload.pk, until

    @classmethod
    def take(cls, upload: ResumableUpload) -> "PatchLease":
        """Hold ``upload`` at its current offset, or 409 while another PATCH holds it."""
        now = timezone.now()
        until = now + PATCH_LEASE
        taken = ResumableUpload.objects.filter(
            Q(patch_lease_until__isnull=True) | Q(patch_lease_until__lt=now),
            pk=upload.pk, offset=upload.offset, file__isnull=True,
        ).update(patch_lease_until=until)
        if not taken:
            raise Conflict("Another PATCH of this upload is in progress, or it moved on; send HEAD and resume.")
        return cls(upload, until)

    def held(self):
        return ResumableUpload.objects.filter(pk=self.upload_id, patch_lease_until=self.until)

    def keep(self) -> None:
        """Renew once less than half the lease is left; LeaseLost when it lapsed and was taken."""
        now = timezone.now()
        if self.until - now > PATCH_LEASE / 2:
            return
        renewed = now + PATCH_LEASE
        if not self.held().update(patch_lease_until=renewed):
            raise LeaseLost()
        self.until = renewed

    def release(self) -> None:
        self.held().update(patch_lease_until=None)


def _body_chunks(read: Callable[[int], bytes], remaining: int, lease: PatchLease) -> Iterator[bytes]:
    """The body in pieces until it ends or breaks, each only while ``lease`` holds;
    BodyTooLong past ``remaining`` bytes."""
    received = 0
    while True:
        try:
            chunk = read(READ_SIZE)
        except OSError:  # the client went away (Django's UnreadablePostError is one)
            logger.info("A PATCH body broke off after %s bytes; they are kept.", received)
            return
        if not chunk:
            return
        received += len(chunk)
        if received > remaining:
            raise BodyTooLong()
        lease.keep()
        yield chunk


def _complete(upload: ResumableUpload, store, appended: Appended) -> ResumableUpload:
    stored_name = store.assemble(upload, appended)
    try:
        facts = _stored_facts(stored_name)
        with transaction.atomic():
            record = file_services.file_create_from_stored(
                owner=upload.owner, file_id=upload.new_file_id, name=upload.name,
                stored_name=stored_name, facts=facts)
            ResumableUpload.objects.filter(pk=upload.pk).update(
                offset=upload.length, file=record, s3_parts=[], expires_at=_expiry(), patch_lease_until=None)
    except ApplicationError:
        with transaction.atomic():  # refused: file_create_from_stored removed the bytes
            _forget(upload)
        raise
    except BaseException:
        # The assembled bytes cannot take another PATCH: the upload ends here, nothing kept.
        file_services.stored_remove([stored_name])
        with transaction.atomic():
            _forget(upload)
        raise
    upload.refresh_from_db()
    return upload


def _stored_facts(name: str) -> StreamedFacts:
    """sha256, size and first bytes of the assembled file, read once from storage."""
    stream, _ = open_stream(partial_store().storage, name)
    try:
        return StreamedFacts.of_stream(stream)
    finally:
        stream.close()


def _forget(upload: ResumableUpload) -> bool:
    """Delete the row and, for an unfinished upload, release its reservation (inside a transaction)."""
    deleted, _ = ResumableUpload.objects.filter(pk=upload.pk).delete()
    if deleted and upload.file_id is None:
        file_services.quota_release(owner_id=upload.owner_id, size=upload.length)
    return bool(deleted)


def upload_terminate(*, upload: ResumableUpload) -> None:
    """Remove an upload: its partial bytes go and its reservation is released.

    A completed upload's File stays (delete it as a file); only its record goes.
    """
    with transaction.atomic():
        forgotten = _forget(upload)
    if forgotten and upload.file_id is None:
        _discard(upload)


def _discard(upload: ResumableUpload) -> None:
    try:
        partial_store().discard(upload)
    except STORAGE_ERRORS:
        logger.exception("Could not remove the partial bytes of upload %s", upload.pk)


def uploads_expire(*, now=None) -> int:
    """Remove every upload ``FILES_TUS_EXPIRY`` past its last PATCH (none that a PATCH holds).

    Unfinished ones lose their bytes (the S3 multipart upload is aborted) and
    their reservation; completed ones only their record. Returns how many went.
    """
    now = now or timezone.now()
    expired = ResumableUpload.objects.filter(
        Q(patch_lease_until__isnull=True) | Q(patch_lease_until__lt=now), expires_at__lt=now)
    removed = 0
    for upload in expired.iterator():
        with transaction.atomic():
            gone = ResumableUpload.objects.filter(
                Q(patch_lease_until__isnull=True) | Q(patch_lease_until__lt=now), pk=upload.pk,
                expires_at__lt=now).delete()[0]
            if gone and upload.file_id is None:
                file_services.quota_release(owner_id=upload.owner_id, size=upload.length)
        if gone:
            removed += 1
            if upload.file_id is None:
                _discard(upload)
    return removed
