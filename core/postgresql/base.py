"""Django's PostgreSQL backend, with a persistent connection's health check that needs no query.

``CONN_HEALTH_CHECKS`` makes Django check a reused connection before the first
query of each request (and, in ``core.celery``, of each task) with
``SELECT 1``: one round trip per request, to catch a connection the server
has closed (a restart, ``pg_terminate_backend``, a proxy or a network cut).
Such a connection always has something waiting on its socket — the server's
FATAL message, or the end of the stream — while a healthy idle connection has
nothing to read. So the check looks at the socket first (a ``poll`` with no
wait) and sends ``SELECT 1`` only when something is there: a closed connection
is still replaced before the request uses it, and a healthy one costs no
query. Anything unexpected on the socket (a notice, a parameter change) gets
Django's own check, so the answer is never less safe than ``SELECT 1``'s.
"""

import select

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed:
            return False
        if connection.info.transaction_status != TransactionStatus.IDLE:
            return super().is_usable()
        try:
            poller = select.poll()
            poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
            waiting = poller.poll(0)
        except (OSError, ValueError):
            return False
        if waiting:
            return super().is_usable()
        return True
