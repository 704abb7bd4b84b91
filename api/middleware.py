"""Keep errors under ``/api/`` in the JSON envelope, even outside DRF views."""

import logging

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404

from core.availability import is_unavailable

from .errors import error_response
from .exception_handlers import unavailable_response

logger = logging.getLogger(__name__)


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
