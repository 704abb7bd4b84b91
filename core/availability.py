"""Is this error the service being temporarily unreachable, rather than a bug?

A database that refuses connections, is shutting down or restarting, or an
object store the network cannot reach, is answered 503 ``unavailable`` with
``Retry-After``: the client should retry, and nothing it sent is wrong. Every
other error stays what it was (a database error about the query is a 500).
"""

from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.exceptions import ReadTimeoutError
from django.db import OperationalError

# Seconds a client is asked to wait: about what a database restart or a
# failover takes; the client's own backoff takes it from there.
RETRY_AFTER_SECONDS = 5

# PostgreSQL SQLSTATEs of an unavailable server: class 08 (connection
# exception), admin/crash shutdown, "the database system is starting up".
POSTGRES_UNAVAILABLE_STATES = {"57P01", "57P02", "57P03"}
SQLITE_UNAVAILABLE_MESSAGES = ("database is locked", "unable to open database file", "disk I/O error")


def is_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` means a backing service is down or restarting, not that the request or code is wrong."""
    if isinstance(exc, BotoConnectionError | ReadTimeoutError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate.startswith("08") or sqlstate in POSTGRES_UNAVAILABLE_STATES
    if type(cause).__module__.startswith("psycopg"):
        # No SQLSTATE: the server never answered (refused, reset, gone away mid-query).
        return True
    return any(message in str(exc) for message in SQLITE_UNAVAILABLE_MESSAGES)
