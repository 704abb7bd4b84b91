"""Log lines that say which request (and which file) they belong to.

Every record gets ``request_id``, ``user_id`` and ``file_id`` from context
variables: the request middleware (``api.middleware.RequestContextMiddleware``)
sets the request's, the Celery ``task_prerun`` signal (``core.celery``) sets
those its publisher put in the task's headers (``files.publishing``). So one
grep for a request id follows an upload from its request into its task.

Production writes one JSON object per line (``LOG_FORMAT=json``, what log
shippers parse); ``make run`` (DEBUG) writes plain lines for people.
"""

import contextvars
import json
import logging
import time

from django.utils.functional import SimpleLazyObject, empty

request_id = contextvars.ContextVar("request_id", default=None)
file_id = contextvars.ContextVar("file_id", default=None)
# The Django request being served: its user is read when a line is logged,
# because DRF authenticates inside the view, after the middleware ran.
current_request = contextvars.ContextVar("current_request", default=None)
task_user_id = contextvars.ContextVar("task_user_id", default=None)

# The task header that carries its publisher's log context, {"request_id", "file_id", "user_id"}
# (set by files.publishing, read by core.celery before the task runs).
TASK_HEADER = "log_context"


def bind_task_context(context: dict | None) -> list:
    """Set the log context of a task from its header; returns what ``unbind`` needs."""
    context = context if isinstance(context, dict) else {}
    return [(var, var.set(context.get(key)))
            for var, key in ((request_id, "request_id"), (file_id, "file_id"), (task_user_id, "user_id"))]


def unbind(tokens: list) -> None:
    for var, token in reversed(tokens):
        var.reset(token)


def current_user_id() -> str | None:
    """The authenticated user's id of the current request or task; None when there is none (yet).

    Never evaluates Django's lazy session user: that would be a query inside a log call.
    """
    request = current_request.get()
    if request is None:
        return task_user_id.get()
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        user = user.__dict__.get("_wrapped", empty)
        if user is empty:
            return None
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return str(user.pk)


class ContextFilter(logging.Filter):
    """Adds ``request_id``, ``user_id`` and ``file_id`` to every record a handler emits."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.user_id = current_user_id()
        record.file_id = file_id.get()
        return True


# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the context ids and any ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    """Human lines for ``make run``: the request id (when there is one) after the level."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s%(context)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        ids = [f"{key}={value}" for key in ("request_id", "file_id")
               if (value := getattr(record, key, None)) is not None]
        record.context = f" [{' '.join(ids)}]" if ids else ""
        return super().format(record)


def logging_config(*, log_format: str, level: str) -> dict:
    """The ``LOGGING`` setting: one console handler, JSON or plain, with the context filter."""
    formatter = {"()": JsonFormatter} if log_format == "json" else {"()": PlainFormatter}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter}},
        "formatters": {"default": formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "default", "filters": ["context"]}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django.request": {"level": "ERROR"}},
    }
