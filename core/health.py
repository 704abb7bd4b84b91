"""Liveness and readiness: is the process up, and can it reach what it needs."""

import logging

from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse

from api.errors import error_response

from .celery import app as celery_app
from .storage import storage_check

logger = logging.getLogger(__name__)


def live(request):
    return JsonResponse({"status": "ok"})


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker() -> None:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def _storage() -> None:
    storage_check(default_storage)


CHECKS = {"database": _database, "broker": _broker, "storage": _storage}


def ready(request):
    """200 ``{database, broker, storage: "ok"}``; 503 in the envelope naming what is down."""
    results, down = {}, []
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:
            logger.warning("Readiness check %s failed: %r", name, exc)
            results[name] = "unavailable"
            down.append(name)
    if down:
        return error_response(503, detail=f"Not ready: {', '.join(down)} unavailable.",
                              errors={name: [state] for name, state in results.items()})
    return JsonResponse(results)
