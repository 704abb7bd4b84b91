"""``GET /api/v1/events/stream/``: Server-Sent Events from an async Django view.

An open stream is a coroutine waiting on an ``asyncio.Event``, not a thread
or a worker: one process holds thousands. One ``LISTEN`` connection per
process (``Notifier``) wakes the streams of the owner named by each
``NOTIFY`` (sent by ``events.services.event_record`` at commit); the woken
streams read the log after the last id they sent, so a notification that was
missed or merged never loses an event. Without PostgreSQL (the embedded
SQLite mode) streams poll the log every ``POLL_SECONDS``.

Each database read runs on the event loop's small default thread pool, so
idle streams hold no thread and all streams of a process share a few
database connections.
"""

import asyncio
import contextlib
import json
import logging
import time
import weakref
from collections import defaultdict

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import close_old_connections, connection
from django.http import StreamingHttpResponse
from rest_framework.exceptions import APIException
from rest_framework.settings import api_settings

from api.errors import error_response

from . import selectors, services
from .serializers import EventSerializer

logger = logging.getLogger(__name__)

KEEP_ALIVE_SECONDS = 15
POLL_SECONDS = 1.0
RECONNECT_SECONDS = 1.0
RETRY_MILLISECONDS = 2000


class Notifier:
    """Per event loop: one ``LISTEN`` connection, and the waiting streams of each owner."""

    def __init__(self):
        self.waiters: dict[str, set[asyncio.Event]] = defaultdict(set)
        self.task: asyncio.Task | None = None
        self.listening = asyncio.Event()

    def subscribe(self, owner_id: str) -> asyncio.Event:
        if connection.vendor == "postgresql" and (self.task is None or self.task.done()):
            self.task = asyncio.get_running_loop().create_task(self._listen())
        waiter = asyncio.Event()
        self.waiters[owner_id].add(waiter)
        return waiter

    def unsubscribe(self, owner_id: str, waiter: asyncio.Event) -> None:
        self.waiters[owner_id].discard(waiter)
        if not self.waiters[owner_id]:
            del self.waiters[owner_id]

    def wake(self, owner_id: str | None = None) -> None:
        groups = self.waiters.values() if owner_id is None else [self.waiters.get(owner_id, ())]
        for group in groups:
            for waiter in group:
                waiter.set()

    async def _listen(self) -> None:
        import psycopg

        db = settings.DATABASES["default"]
        params = {"dbname": db["NAME"], "user": db.get("USER") or None, "password": db.get("PASSWORD") or None,
                  "host": db.get("HOST") or None, "port": db.get("PORT") or None, "autocommit": True}
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                        **{k: v for k, v in params.items() if v is not None}) as conn:
                    await conn.execute(f"LISTEN {services.CHANNEL}")
                    self.listening.set()
                    self.wake()  # whatever committed while nobody listened
                    async for notify in conn.notifies():
                        self.wake(notify.payload)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Event notifications lost their connection; reconnecting")
            self.listening.clear()
            await asyncio.sleep(RECONNECT_SECONDS)


_notifiers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Notifier]" = weakref.WeakKeyDictionary()


def notifier() -> Notifier:
    loop = asyncio.get_running_loop()
    if loop not in _notifiers:
        _notifiers[loop] = Notifier()
    return _notifiers[loop]


async def close_notifier() -> None:
    """Stop this event loop's LISTEN connection (the ASGI server's shutdown)."""
    hub = _notifiers.pop(asyncio.get_running_loop(), None)
    if hub is not None and hub.task is not None:
        hub.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await hub.task


def _closing(function):
    """Run ``function`` on the event loop's default thread pool, with Django's per-request connection rules.

    The pool has a few threads (``min(32, cores + 4)``), each keeping at most one
    database connection for ``CONN_MAX_AGE``: any number of streams share those,
    instead of a connection each.
    """
    def run(*args, **kwargs):
        close_old_connections()
        try:
            return function(*args, **kwargs)
        finally:
            close_old_connections()
    return sync_to_async(run, thread_sensitive=False)


@_closing
def _authenticate(request):
    ticket = request.GET.get("ticket")
    if ticket is not None:
        return services.ticket_redeem(ticket=ticket)
    for authenticator in api_settings.DEFAULT_AUTHENTICATION_CLASSES:
        try:
            found = authenticator().authenticate(request)
        except APIException:  # a bad or expired token: an unauthenticated stream
            return None
        if found is not None:
            user = found[0]
            return user if user.is_active else None
    return None


@_closing
def _start_after(owner) -> int:
    return selectors.event_last_id(owner=owner)


@_closing
def _render(request, owner, after: int) -> list[tuple[int, bytes]]:
    events = selectors.event_list(owner=owner, after=after)
    data = EventSerializer(events, many=True, context={"request": request}).data
    return [(event.id, f"id: {event.id}\nevent: {event.type}\ndata: {json.dumps(item)}\n\n".encode())
            for event, item in zip(events, data, strict=True)]


async def event_stream(request):
    """The caller's events as Server-Sent Events, from after ``Last-Event-ID``/``after`` (or from now)."""
    if request.method != "GET":
        return error_response(405)
    user = await _authenticate(request)
    if user is None:
        return error_response(401, detail="A valid stream ticket or Bearer token is required; tickets work once.")
    resume = request.headers.get("Last-Event-ID") or request.GET.get("after")
    if resume is not None and not (resume.isdigit() and len(resume) < 19):
        return error_response(400, detail="Last-Event-ID / after must be an event id.")
    after = int(resume) if resume is not None else await _start_after(user)
    # Reached through a sync (WSGI) server, the stream could only hold its worker: it sends what
    # is there and ends, and EventSource reconnects after ``retry`` with Last-Event-ID (polling).
    live = isinstance(request, ASGIRequest)
    events = _events(request, user, after) if live else _backlog(request, user, after)
    response = StreamingHttpResponse(events, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache, no-store"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


async def _backlog(request, user, after: int):
    yield f"retry: {RETRY_MILLISECONDS}\n\n".encode()
    for _, chunk in await _render(request, user, after):
        yield chunk


async def _events(request, user, after: int):
    hub = notifier()
    waiter = hub.subscribe(str(user.pk))
    polling = connection.vendor != "postgresql"
    try:
        yield f"retry: {RETRY_MILLISECONDS}\n\n".encode()
        last_write = time.monotonic()
        while True:
            waiter.clear()
            batch = await _render(request, user, after)
            for event_id, chunk in batch:
                yield chunk
                after = event_id
            if batch:
                last_write = time.monotonic()
                if len(batch) >= selectors.PAGE_SIZE:
                    continue
            quiet = KEEP_ALIVE_SECONDS - (time.monotonic() - last_write)
            try:
                await asyncio.wait_for(waiter.wait(), min(quiet, POLL_SECONDS) if polling else max(quiet, 0.01))
            except TimeoutError:
                if time.monotonic() - last_write >= KEEP_ALIVE_SECONDS:
                    yield b": keep-alive\n\n"
                    last_write = time.monotonic()
    finally:
        hub.unsubscribe(str(user.pk), waiter)
