"""The one error envelope: ``{"code", "detail", "errors"}`` for every error.

Everything that answers an error builds it here: DRF views through
``api.exception_handlers.exception_handler``, errors outside DRF under
``/api/`` through ``api.middleware.ApiErrorEnvelopeMiddleware``, and the
health checks. A 500 is built in one place, ``error_response(500)``.
"""

from django.http import JsonResponse

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
    416: "range_not_satisfiable",
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
    """A JSON response in the envelope; the defaults name the status's usual code and detail."""
    return JsonResponse(
        envelope(code or DEFAULT_CODES.get(status_code, "error"),
                 detail or DEFAULT_DETAILS.get(status_code, "Error."), errors),
        status=status_code,
    )
