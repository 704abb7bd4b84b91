"""DRF's exception handler, answering every error in the envelope.

Domain errors (``core.exceptions.ApplicationError``) map to their own code and
status. Everything else goes through DRF's own ``exception_handler`` (its
``WWW-Authenticate`` and ``Retry-After`` headers, the transaction rollback),
whose body is then rewritten into the envelope.
"""

import logging
import math

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback
from rest_framework_simplejwt.exceptions import InvalidToken

from core.availability import RETRY_AFTER_SECONDS, is_unavailable
from core.exceptions import ApplicationError

from .errors import DEFAULT_CODES, DEFAULT_DETAILS, envelope, error_response

logger = logging.getLogger(__name__)


def exception_handler(exc, context):
    """REST_FRAMEWORK's EXCEPTION_HANDLER: the envelope for every error, a logged 500 for a crash."""
    if isinstance(exc, ApplicationError):
        set_rollback()
        return Response(envelope(exc.code, exc.detail), status=exc.status, headers=exc.headers)
    if is_unavailable(exc):
        set_rollback()
        return unavailable_response(exc)
    exc = _as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        view = context.get("view")
        logger.exception("Unhandled error in %s", type(view).__name__ if view else "view")
        return error_response(500)
    if getattr(exc, "wait", None):
        response["Retry-After"] = str(math.ceil(exc.wait))  # DRF rounds down; a client retrying then is early
    response.data = _body(exc)
    return response


def unavailable_response(exc: BaseException):
    """503 ``unavailable`` with ``Retry-After`` for a database or storage that cannot be reached."""
    logger.warning("A backing service is unavailable: %r", exc)
    response = error_response(503, detail="The service is temporarily unavailable; retry shortly.")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _as_api_exception(exc: Exception) -> Exception:
    """Django's own exceptions as DRF's, with our default details (not the raiser's internal message)."""
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, SuspiciousOperation):
        # Too many fields or files, an oversized form field: the client's fault.
        return exceptions.ParseError(str(exc) or DEFAULT_DETAILS[400])
    return exc


def _body(exc: exceptions.APIException) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        errors = _validation_errors(exc.detail)
        return envelope("invalid", _first_message(errors) or "Invalid input.", errors)
    detail = exc.detail
    if isinstance(detail, dict):
        # simplejwt puts {"detail": ..., "code": ..., "messages": [...]} here.
        detail = detail.get("detail", DEFAULT_DETAILS.get(exc.status_code, "Error."))
    elif isinstance(detail, list):
        detail = " ".join(str(d) for d in detail)
    return envelope(_code_of(exc), str(detail))


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
    if isinstance(exc, exceptions.ParseError):
        return "malformed_request"
    code = exc.default_code
    if code == "error":
        return DEFAULT_CODES.get(exc.status_code, "error")
    return code


def _first_message(errors: dict) -> str | None:
    for field, messages in errors.items():
        for message in messages:
            if isinstance(message, str):
                return message if field == "non_field_errors" else f"{field}: {message}"
    return None
