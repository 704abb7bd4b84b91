"""The upload domain's errors, each with its stable code (no DRF: services, admin and workers raise them)."""

from http import HTTPStatus

from core.exceptions import ApplicationError


def human_size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:g} {unit}" if unit == "bytes" else f"{size:.3g} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


class FileRequired(ApplicationError):
    status = HTTPStatus.BAD_REQUEST
    code = "file_required"
    detail = "Send the file as multipart/form-data in the field 'file'."


class EmptyFile(ApplicationError):
    status = HTTPStatus.BAD_REQUEST
    code = "empty_file"
    detail = "The file is empty (0 bytes)."


class FileTooLarge(ApplicationError):
    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    code = "file_too_large"

    def __init__(self, *, limit: int, size: int | None = None):
        if size is None:
            detail = f"The file is larger than the limit of {human_size(limit)}."
        else:
            detail = f"The file is {human_size(size)}; the limit is {human_size(limit)}."
        super().__init__(detail)


class QuotaExceeded(ApplicationError):
    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    code = "quota_exceeded"

    def __init__(self, *, used: int, limit: int, size: int | None = None):
        remaining = max(limit - used, 0)
        wanted = f"The file needs {human_size(size)}" if size is not None else "This upload does not fit"
        super().__init__(f"{wanted}, but only {human_size(remaining)} of your "
                         f"{human_size(limit)} quota is left.")


class UnsupportedFileType(ApplicationError):
    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    code = "unsupported_file_type"
    detail = "Files of this type are not accepted."


class FileBlocked(ApplicationError):
    status = HTTPStatus.FORBIDDEN
    code = "file_blocked"
    detail = "This file has been blocked by a moderator."


class SignatureRefused(ApplicationError):
    """A signed download or thumbnail URL that is expired, tampered with, or for a blocked file."""

    status = HTTPStatus.FORBIDDEN
    code = "permission_denied"
    detail = "This link has expired or is not valid; get a fresh one from the file's details."
