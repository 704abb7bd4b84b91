"""Writes on the event log: record an event with the change, issue and redeem stream tickets, sweep.

``event_record`` must be called inside the transaction that changes the file
(the transactional outbox): the event commits or rolls back with the change,
and on PostgreSQL a ``NOTIFY`` in the same transaction wakes open streams only
once the change is visible. ``event_record_with`` does the same for the changes
every upload and every processed file make, on PostgreSQL in one statement:
the change, the event row and the ``NOTIFY`` (issue 19).
"""

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone

from files.models import File

from .enums import EventType
from .models import Event, StreamTicket
from .signals import event_recorded

# The PostgreSQL channel that carries "owner <id> has a new event".
CHANNEL = "file_events"
TICKET_TTL = 60
# Internals of the row that no client sees.
PRIVATE_FIELDS = {"owner", "attempts", "claimed_by", "idempotency_key"}


class SnapshotEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder keeps only milliseconds of a datetime; a snapshot keeps all of it."""

    def default(self, o):
        if isinstance(o, datetime):
            return o.isoformat()
        return super().default(o)


def file_snapshot(record: File) -> dict:
    """The file's public model fields as JSON values (what ``events.serializers`` renders as a File)."""
    fields = {f.attname: getattr(record, f.attname) for f in File._meta.concrete_fields
              if f.name not in PRIVATE_FIELDS}
    fields["file"] = record.file.name or ""
    fields["thumbnail"] = record.thumbnail.name or ""
    fields["owner_id"] = record.owner_id
    return json.loads(json.dumps(fields, cls=SnapshotEncoder))


def event_record(*, type: EventType, record: File) -> Event:
    """Append ``type`` for ``record`` (as it is now) to its owner's log, in the caller's transaction."""
    snapshot = {"id": str(record.pk)} if type == EventType.FILE_DELETED else file_snapshot(record)
    event = Event.objects.create(owner_id=record.owner_id, type=type, file_id=record.pk, file=snapshot)
    _notify(record.owner_id)
    event_recorded.send(sender=Event, event=event)
    return event


# Reads a receiver of ``event_recorded`` makes for every event, run as subqueries of the
# event's own statement by ``event_record_with`` (one round trip instead of two). Each is
# ``name -> function(owner_id, event_type, connection) -> (SQL of a scalar subquery, params)``;
# its value reaches the receivers as ``extra[name]``. (``event_record`` sends no ``extra``:
# receivers then read for themselves.)
EVENT_EXTRAS: dict[str, Callable] = {}


def event_extra_register(name: str, subquery: Callable) -> None:
    """Have ``event_record_with`` evaluate ``subquery`` with each event (see ``EVENT_EXTRAS``)."""
    EVENT_EXTRAS[name] = subquery


@dataclass
class Change:
    """A data-modifying statement on one file that ends ``RETURNING`` the file's id (no row when
    it changed nothing), and the common table expressions it reads (name, SQL, parameters)."""

    sql: str
    params: list
    before: list[tuple[str, str, list]] = field(default_factory=list)


def event_record_with(*, type: EventType, record: File, change: Change) -> Event | None:
    """Run ``change`` and, when it changed the file, append ``type`` for ``record`` (as it is after
    the change) to its owner's log; None when it changed nothing.

    On PostgreSQL one statement does what ``event_record`` and the change take
    three for (``WITH change AS (…) INSERT INTO events_event … SELECT … FROM
    change RETURNING id, pg_notify(…)``), atomic on its own. ``event_recorded`` is
    sent after it: in the caller's transaction when there is one, else once the
    statement has committed (so a receiver's ``on_commit`` work runs at once).
    """
    db = connections[DEFAULT_DB_ALIAS]  # the backend itself (``connection`` looks up each attribute anew)
    if db.vendor != "postgresql":
        raise NotImplementedError("event_record_with composes PostgreSQL statements; use event_record")
    snapshot = {"id": str(record.pk)} if type == EventType.FILE_DELETED else file_snapshot(record)
    event = Event(owner_id=record.owner_id, type=type, file_id=record.pk, file=snapshot, created_at=timezone.now())
    meta, quote = Event._meta, db.ops.quote_name
    ctes = [*change.before, ("change", change.sql, change.params)]
    params = [value for _, _, cte_params in ctes for value in cte_params]
    # The event's fields in the order of the SELECT below (file_id comes from the change).
    fields = [meta.get_field(name) for name in ("owner", "type", "file_id", "file", "created_at")]
    values = [field.get_db_prep_save(getattr(event, field.attname), db) for field in fields
              if field.name != "file_id"]
    ctes_sql = ", ".join(f"{name} AS ({cte})" for name, cte, _ in ctes)
    table, column_list = quote(meta.db_table), ", ".join(quote(field.column) for field in fields)
    extras = {name: subquery(owner_id=record.owner_id, event_type=type, connection=db)
              for name, subquery in EVENT_EXTRAS.items()}
    extras_sql = "".join(f", ({extra_sql})" for extra_sql, _ in extras.values())
    # Table and column names are the models'; every value is a parameter.
    sql = (f"WITH {ctes_sql} INSERT INTO {table} ({column_list}) "  # noqa: S608
           f"SELECT %s, %s, change.id, %s, %s FROM change RETURNING id, pg_notify(%s, %s){extras_sql}")
    params += [*values, CHANNEL, str(record.owner_id)]
    params += [value for _, extra_params in extras.values() for value in extra_params]
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    event.id = row[0]
    event._state.adding = False
    event_recorded.send(sender=Event, event=event, extra=dict(zip(extras, row[2:], strict=True)))
    return event


def _notify(owner_id) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Delivered by PostgreSQL at commit, and never for a rolled-back transaction.
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, str(owner_id)])


def _digest(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


def ticket_issue(*, owner) -> tuple[str, int]:
    """A new single-use stream ticket for ``owner`` and its lifetime in seconds."""
    ticket = secrets.token_urlsafe(32)
    StreamTicket.objects.create(digest=_digest(ticket), owner=owner,
                                expires_at=timezone.now() + timedelta(seconds=TICKET_TTL))
    return ticket, TICKET_TTL


def ticket_redeem(*, ticket: str):
    """The active user ``ticket`` was issued to, or None; a ticket works once (the DELETE decides)."""
    if not ticket or len(ticket) > 200:
        return None
    row = StreamTicket.objects.filter(digest=_digest(ticket), expires_at__gt=timezone.now()).select_related(
        "owner").first()
    if row is None:
        return None
    deleted, _ = StreamTicket.objects.filter(pk=row.pk).delete()
    if not deleted or not row.owner.is_active:
        return None
    return row.owner


def events_sweep() -> dict:
    """Remove events older than ``EVENTS_RETENTION`` seconds and expired tickets; counts for logs."""
    now = timezone.now()
    events, _ = Event.objects.filter(created_at__lt=now - timedelta(seconds=settings.EVENTS_RETENTION)).delete()
    tickets, _ = StreamTicket.objects.filter(expires_at__lt=now).delete()
    return {"events": events, "tickets": tickets}
