"""The one error envelope: ``{"code", "detail", "errors"}`` for every error.

DRF views reach it through ``exception_handler`` (the REST_FRAMEWORK
EXCEPTION_HANDLER); errors raised outside DRF under ``/api/`` (Django's own
404, a crash in middleware) are rewritten by ``ApiErrorEnvelopeMiddleware``.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework_simplejwt.exceptions import InvalidToken

logger = logging.getLogger(__name__)

DEFAULT_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "file_too_large",
    415: "unsupported_media_type",
    429: "throttled",
    500: "server_error",
    503: "unavailable",
}
DEFAULT_DETAILS = {
    400: "The request is malformed.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "The request body is too large.",
    500: "Something went wrong on our side. It has been logged; please try again later.",
}


def envelope(code: str, detail: str, errors: dict | None = None) -> dict:
    return {"code": code, "detail": detail, "errors": errors or {}}


def error_response(status_code: int, code: str | None = None, detail: str | None = None,
                   errors: dict | None = None) -> JsonResponse:
    """A plain Django JSON response in the envelope, for code outside DRF views."""
    return JsonResponse(
        envelope(code or DEFAULT_CODES.get(status_code, "error"),
                 detail or DEFAULT_DETAILS.get(status_code, "Error."), errors),
        status=status_code,
    )


class ApiError(exceptions.APIException):
    """An API error with a stable ``code``; subclasses set status and code."""

    def __init__(self, detail=None, code=None):
        super().__init__(detail, code)
        if code is not None:
            self.default_code = code


class Conflict(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The request conflicts with the resource's current state."



def _validation_errors(detail) -> dict:
    if isinstance(detail, dict):
        return {field: _as_messages(messages) for field, messages in detail.items()}
    return {"non_field_errors": _as_messages(detail)}


def _as_messages(messages) -> list:
    if isinstance(messages, (list, tuple)):
        return [str(m) if not isinstance(m, (dict, list)) else m for m in messages]
    if isinstance(messages, dict):
        return [messages]
    return [str(messages)]


def _code_of(exc: exceptions.APIException) -> str:
    if isinstance(exc, InvalidToken):
        return "token_not_valid"
    if isinstance(exc, exceptions.ValidationError):
        return "invalid"
    if isinstance(exc, exceptions.ParseError):
        return "malformed_request"
    if isinstance(exc, ApiError):
        return exc.default_code
    code = exc.default_code
    if code == "error":
        return DEFAULT_CODES.get(exc.status_code, "error")
    return code


def exception_handler(exc, context):
    """DRF exception handler that answers every error in the envelope."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, SuspiciousOperation):
        # Too many fields or files, an oversized form field: the client's fault.
        exc = exceptions.ParseError(str(exc) or DEFAULT_DETAILS[400])

    if not isinstance(exc, exceptions.APIException):
        view = context.get("view")
        logger.exception("Unhandled error in %s", type(view).__name__ if view else "view")
        return Response(envelope("server_error", DEFAULT_DETAILS[500]), status=500)

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait) + (0 if float(exc.wait).is_integer() else 1))

    if isinstance(exc, exceptions.ValidationError):
        errors = _validation_errors(exc.detail)
        detail = _first_message(errors) or "Invalid input."
        body = envelope("invalid", detail, errors)
    else:
        detail = exc.detail
        if isinstance(detail, dict):
            # simplejwt puts {"detail": ..., "code": ..., "messages": [...]} here.
            detail = detail.get("detail", DEFAULT_DETAILS.get(exc.status_code, "Error."))
        elif isinstance(detail, list):
            detail = " ".join(str(d) for d in detail)
        body = envelope(_code_of(exc), str(detail))
    return Response(body, status=exc.status_code, headers=headers)


def _first_message(errors: dict) -> str | None:
    for field, messages in errors.items():
        for message in messages:
            if isinstance(message, str):
                return message if field == "non_field_errors" else f"{field}: {message}"
    return None
