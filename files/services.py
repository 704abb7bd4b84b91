"""Writes on files: create, delete, reprocess, block.

Each state change a client can be told about appends its event
(``events.services.event_record``) in the same transaction.

The row, the stored bytes and the owner's quota counter move together: a
failure after the bytes reached storage removes them, and the quota counter
changes in the same transaction as the row.
"""

import contextlib
import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.models import F
from django.utils import timezone

from core.exceptions import Conflict
from core.metrics import FILE_TRANSITIONS
from core.queries import UpdateTemplate, insert_values
from core.storage import STORAGE_ERRORS
from events.enums import EventType
from events.services import Change, event_record, event_record_with

from .enums import Status
from .errors import EmptyFile, FileRequired, FileTooLarge, QuotaExceeded, UnsupportedFileType
from .models import File
from .names import safe_display_name
from .publishing import enqueue_processing
from .selectors import file_by_idempotency_key
from .sniffing import Sniffed, name_claims_other_type, sniff
from .uploads import StreamedFacts

logger = logging.getLogger(__name__)
User = get_user_model()


def quota_check(*, user, incoming: int) -> None:
    """Refuse early when ``incoming`` bytes cannot fit in ``user``'s quota."""
    limit = settings.FILES_USER_QUOTA
    if limit and user.storage_used + incoming > limit:
        raise QuotaExceeded(used=user.storage_used, limit=limit, size=incoming)


def file_check(*, name: str, size: int, head: bytes) -> Sniffed:
    """The rules every new file passes, however its bytes arrived: not empty, within
    ``FILES_MAX_UPLOAD_SIZE``, no executable, no script named as something else, a kind
    in ``FILES_ALLOWED_KINDS``. Returns what sniffing the first bytes found."""
    if size == 0:
        raise EmptyFile()
    if size > settings.FILES_MAX_UPLOAD_SIZE:
        raise FileTooLarge(limit=settings.FILES_MAX_UPLOAD_SIZE, size=size)
    sniffed = sniff(head)
    if sniffed.executable:
        raise UnsupportedFileType(f"Executable files ({sniffed.content_type}) are not accepted.")
    if sniffed.script and name_claims_other_type(name, sniffed):
        raise UnsupportedFileType(f"The file is a script ({sniffed.content_type}) but its name says otherwise.")
    if sniffed.kind not in settings.FILES_ALLOWED_KINDS:
        raise UnsupportedFileType(
            f"Files of kind '{sniffed.kind}' ({sniffed.content_type}) are not accepted; accepted kinds: "
            f"{', '.join(settings.FILES_ALLOWED_KINDS)}."
        )
    return sniffed


def file_create(*, owner, upload: UploadedFile | None, facts: StreamedFacts | None,
                idempotency_key: str | None = None) -> tuple[File, bool]:
    """Store ``upload`` for ``owner`` and enqueue its processing after commit.

    ``facts`` are the sha256, size and head collected while the upload
    streamed. Returns the file and whether it was created (False when the
    idempotency key names an earlier upload). Raises the upload API errors;
    on any error nothing is left behind.
    """
    if upload is None or facts is None:
        raise FileRequired()
    name = safe_display_name(upload.name)
    sniffed = file_check(name=name, size=facts.size, head=bytes(facts.head))
    quota_check(user=owner, incoming=facts.size)

    record = File(owner=owner, name=name, size=facts.size, content_type=sniffed.content_type,
                  kind=sniffed.kind, sha256=facts.sha256, idempotency_key=idempotency_key or None)
    record.file.save(name, upload, save=False)
    # On PostgreSQL the insert is one statement, atomic on its own: without a key to release
    # first, no transaction block around it (BEGIN and COMMIT are two round trips; issue 19).
    # Inside a caller's transaction it still takes a savepoint, so its failure leaves that usable.
    alone = connection.vendor == "postgresql" and not idempotency_key and not connection.in_atomic_block
    try:
        with contextlib.nullcontext() if alone else transaction.atomic():
            if idempotency_key:
                _release_expired_key(owner=owner, key=idempotency_key)
            _file_insert(record, reserve=facts.size)
    except IntegrityError:
        record.file.storage.delete(record.file.name)
        earlier = file_by_idempotency_key(owner=owner, key=idempotency_key) if idempotency_key else None
        if earlier is None:
            raise
        return earlier, False
    except BaseException:
        record.file.storage.delete(record.file.name)
        raise
    return record, True


def file_create_from_stored(*, owner, file_id, name: str, stored_name: str, facts: StreamedFacts) -> File:
    """Turn bytes already stored under ``stored_name`` into ``owner``'s File ``file_id``.

    For a completed resumable upload: the same ``file_check`` as ``file_create``,
    the row inserted and processing published on commit. The caller holds a
    quota reservation of ``facts.size`` bytes, which becomes the file's usage,
    and runs this inside its transaction. A refused file raises its error and
    its stored bytes are removed (releasing the reservation is the caller's).
    """
    try:
        sniffed = file_check(name=name, size=facts.size, head=bytes(facts.head))
    except BaseException:
        stored_remove([stored_name])
        raise
    record = File(id=file_id, owner=owner, name=name, size=facts.size, content_type=sniffed.content_type,
                  kind=sniffed.kind, sha256=facts.sha256)
    record.file.name = stored_name
    _file_insert(record)
    return record


def _file_insert(record: File, *, reserve: int | None = None) -> None:
    """Insert the row with its ``file.created`` event (multipart and tus alike), processing after commit.

    With ``reserve``, the owner's quota counter takes that many bytes first
    (``quota_reserve``; QuotaExceeded when they do not fit). On PostgreSQL the
    counter, the row, the event and its NOTIFY are one statement (issue 19:
    four statements cost the upload ~1 ms of CPU and three round trips more).
    """
    if connection.vendor != "postgresql":
        if reserve is not None:
            quota_reserve(owner_id=record.owner_id, size=reserve)
        record.save(force_insert=True)
        event_record(type=EventType.FILE_CREATED, record=record)
    else:
        db = connections[DEFAULT_DB_ALIAS]
        columns, placeholders, params = insert_values(record, db)
        table, pk = db.ops.quote_name(File._meta.db_table), db.ops.quote_name(File._meta.pk.column)
        before = []
        if reserve is not None:  # the row is inserted only when the quota's UPDATE matched
            quota_sql, quota_params = _QUOTA.sql(**_quota_values(record.owner_id, reserve))
            before = [("quota", f"{quota_sql} RETURNING 1", list(quota_params))]
        change = Change(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(placeholders)}"  # noqa: S608
                        f"{' FROM quota' if before else ''} RETURNING {pk}", params, before=before)
        if event_record_with(type=EventType.FILE_CREATED, record=record, change=change) is None:
            raise _quota_exceeded(owner_id=record.owner_id, size=reserve)
        record._state.adding, record._state.db = False, connection.alias
    transaction.on_commit(lambda: _queued(record))


def quota_release(*, owner_id, size: int) -> None:
    """Give ``size`` reserved or used bytes back to the owner's quota counter."""
    User.objects.filter(pk=owner_id).update(storage_used=F("storage_used") - size)


def _queued(record: File) -> None:
    """After commit: the file is pending (counted) and its processing published."""
    FILE_TRANSITIONS.labels(record.kind, Status.PENDING).inc()
    enqueue_processing(record)


def quota_reserve(*, owner_id, size: int) -> None:
    """Add ``size`` to the owner's counter in one conditional UPDATE, or raise QuotaExceeded.

    The UPDATE locks the row and PostgreSQL re-checks its condition after
    waiting for a concurrent one, so two uploads by one user can never both
    take the last free bytes; one statement instead of SELECT FOR UPDATE + UPDATE.
    """
    owner, counter = _quota_update(**_quota_values(owner_id, size))
    if not owner.update(**counter):
        raise _quota_exceeded(owner_id=owner_id, size=size)


def _quota_values(owner_id, size: int) -> dict:
    """What ``_quota_update`` takes to reserve ``size`` bytes for ``owner_id`` (``FILES_USER_QUOTA``, 0 for none)."""
    limit = settings.FILES_USER_QUOTA
    return {"owner_id": owner_id, "size": size, "room": limit - size if limit else None}


def _quota_update(shape=None, *, owner_id, size: int, room: int | None) -> tuple:
    """The reservation's UPDATE: the owner's row when it has ``room`` (None: no quota), and its new counter."""
    owner = User.objects.filter(pk=owner_id)
    return owner if room is None else owner.filter(storage_used__lte=room), {"storage_used": F("storage_used") + size}


# The upload's reservation, compiled once per process (issue 19).
_QUOTA = UpdateTemplate(_quota_update, owner_id=uuid.UUID, size=int, room=int)


def _quota_exceeded(*, owner_id, size: int) -> QuotaExceeded:
    used = User.objects.values_list("storage_used", flat=True).get(pk=owner_id)
    return QuotaExceeded(used=used, limit=settings.FILES_USER_QUOTA, size=size)


def _release_expired_key(*, owner, key: str) -> None:
    since = timezone.now() - timedelta(seconds=settings.FILES_IDEMPOTENCY_TTL)
    File.objects.filter(owner=owner, idempotency_key=key, uploaded_at__lt=since).update(idempotency_key=None)


def file_delete(*, record: File) -> None:
    """Delete the row, give the bytes back to the quota, then remove the stored bytes."""
    names = [n for n in (record.file.name, record.thumbnail.name) if n]
    storage = record.file.storage
    with transaction.atomic():
        deleted, _ = File.objects.filter(pk=record.pk).delete()
        if deleted:
            quota_release(owner_id=record.owner_id, size=record.size)
            event_record(type=EventType.FILE_DELETED, record=record)
        transaction.on_commit(lambda: _remove_stored(storage, names))


def stored_remove(names: list[str]) -> None:
    """Remove stored bytes that no row refers to (logged, never raised)."""
    _remove_stored(default_storage, names)


def _remove_stored(storage, names: list[str]) -> None:
    for name in names:
        try:
            storage.delete(name)
        except STORAGE_ERRORS:
            logger.exception("Could not remove stored %s", name)


def file_reprocess(*, record: File) -> File:
    """Queue ``record`` for processing again; Conflict while it is being processed."""
    old_thumbnail = record.thumbnail.name
    with transaction.atomic():
        updated = File.objects.filter(pk=record.pk).exclude(status=Status.PROCESSING).update(
            **File.status_fields(Status.PENDING, processed_at=None, error=None, result=None,
                                 thumbnail="", attempts=0, claimed_by=""),
        )
        if not updated:
            raise Conflict("The file is being processed; try again when it is done.")
        record.refresh_from_db()
        if old_thumbnail:
            storage = record.thumbnail.storage
            transaction.on_commit(lambda: _remove_stored(storage, [old_thumbnail]))
        transaction.on_commit(lambda: _queued(record))
    return record


def file_set_blocked(*, record: File, blocked: bool) -> None:
    """Block or unblock a file (moderation); a blocked file cannot be downloaded.

    Only an actual change is recorded (``file.blocked`` / ``file.unblocked``):
    blocking a blocked file changes nothing and tells nobody.
    """
    with transaction.atomic():
        changed = File.objects.filter(pk=record.pk, blocked=not blocked).update(blocked=blocked)
        record.blocked = blocked
        if changed:
            event_record(type=EventType.FILE_BLOCKED if blocked else EventType.FILE_UNBLOCKED, record=record)
