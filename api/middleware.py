"""The HTTP edge's middleware: request context (id, metrics, log line, ``/metrics``) and the error envelope."""

import logging
import re
import time
import uuid

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpResponse

from core import logs, metrics
from core.availability import is_unavailable

from .errors import error_response
from .exception_handlers import unavailable_response

logger = logging.getLogger(__name__)
request_logger = logging.getLogger("api.request")

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy's request id may look like; anything else (too long, odd bytes
# that could forge log lines) is replaced by our own.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
METRICS_PATH = "/metrics"
# Label values stay a small set whatever a client sends.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def request_id_for(request) -> str:
    """The ``X-Request-ID`` a trusted proxy sent (``NUM_PROXIES`` > 0), else a new one.

    With no proxy in front, a client's own header is not trusted: it could
    collide with another request's id in the logs.
    """
    if getattr(settings, "NUM_PROXIES", 0) > 0:
        sent = request.META.get("HTTP_X_REQUEST_ID", "")
        if REQUEST_ID.fullmatch(sent):
            return sent
    return uuid.uuid4().hex


def route_of(request) -> str:
    """The URL pattern that served the request: its name (``file-detail``), else its route; never the raw path."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match.route or "unnamed"


class RequestContextMiddleware:
    """First in ``MIDDLEWARE``: request id, request metrics, one log line per request, and ``/metrics``.

    Every response carries ``X-Request-ID``; every log line of the request
    carries it (``core.logs``), and so do the tasks the request queues.
    ``/metrics`` is answered here, before host validation and the HTTPS
    redirect, because Prometheus scrapes a web container by its internal name
    over plain HTTP; who may read it is decided by ``core.metrics.metrics_allowed``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        request_id = request.request_id = request_id_for(request)
        if request.path_info == METRICS_PATH:
            response = self.metrics(request)
            response[REQUEST_ID_HEADER] = request_id
            return response
        id_token = logs.request_id.set(request_id)
        request_token = logs.current_request.set(request)
        try:
            response = self.get_response(request)
            duration = time.perf_counter() - started
            route, status = route_of(request), response.status_code
            method = request.method if request.method in METHODS else "other"
            metrics.HTTP_REQUEST_DURATION.labels(route, method, str(status)).observe(duration)
            response[REQUEST_ID_HEADER] = request_id
            request_logger.info("%s %s %s %.1fms", method, route, status, duration * 1000, extra={
                "method": method, "route": route, "status": status,
                "duration_ms": round(duration * 1000, 1)})
            return response
        finally:
            logs.current_request.reset(request_token)
            logs.request_id.reset(id_token)

    def metrics(self, request):
        if not metrics.metrics_allowed(metrics.metrics_client_address(request)):
            return error_response(404)
        return HttpResponse(metrics.scrape(), content_type=metrics.CONTENT_TYPE)


class ApiErrorEnvelopeMiddleware:
    """Rewrite non-JSON error answers under ``/api/`` and ``/health/`` into the envelope.

    Django's own 404 (no URL matched), a 400 from a suspicious request, or a
    crash in code outside a DRF view would otherwise answer HTML (or, with
    DEBUG, a traceback). Here they answer the envelope and reveal nothing.
    """

    PREFIXES = ("/api/", "/health/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and request.path.startswith(self.PREFIXES)
            and not response.get("Content-Type", "").startswith("application/json")
            and not request.path.startswith("/api/docs/")
        ):
            rewritten = error_response(response.status_code)
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if header in response:
                    rewritten[header] = response[header]
            return rewritten
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, (Http404, PermissionDenied, SuspiciousOperation, BadRequest)):
            return None  # Django answers these with 4xx; __call__ wraps them.
        if not request.path.startswith(self.PREFIXES):
            return None
        if is_unavailable(exception):
            return unavailable_response(exception)
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        return error_response(500)
