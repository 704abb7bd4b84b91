"""Domain errors: what went wrong, in terms any caller understands, without DRF.

Services raise an ``ApplicationError`` (or a subclass) carrying a stable
``code``, an HTTP-like ``status`` and a ``detail`` for people. The API's
exception handler (``api.exception_handlers``) turns one into the error
envelope; the admin and the workers catch them like any exception.
"""

from http import HTTPStatus


class ApplicationError(Exception):
    """A refusal the caller can act on; subclasses set ``status``, ``code`` and ``detail``."""

    status: int = HTTPStatus.BAD_REQUEST
    code: str = "invalid"
    detail: str = "The request cannot be completed."

    def __init__(self, detail: str | None = None, *, code: str | None = None, status: int | None = None,
                 headers: dict[str, str] | None = None):
        if detail is not None:
            self.detail = detail
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.headers = headers or {}
        super().__init__(self.detail)


class Conflict(ApplicationError):
    status = HTTPStatus.CONFLICT
    code = "conflict"
    detail = "The request conflicts with the resource's current state."
