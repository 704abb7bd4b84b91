"""The upload domain's API errors, each with its stable code."""

from rest_framework import status

from core.errors import ApiError


def human_size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:g} {unit}" if unit == "bytes" else f"{size:.3g} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


class FileRequired(ApiError):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "file_required"
    default_detail = "Send the file as multipart/form-data in the field 'file'."


class EmptyFile(ApiError):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "empty_file"
    default_detail = "The file is empty (0 bytes)."


class FileTooLarge(ApiError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "file_too_large"

    def __init__(self, *, limit: int, size: int | None = None):
        if size is None:
            detail = f"The file is larger than the limit of {human_size(limit)}."
        else:
            detail = f"The file is {human_size(size)}; the limit is {human_size(limit)}."
        super().__init__(detail)


class QuotaExceeded(ApiError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "quota_exceeded"

    def __init__(self, *, used: int, limit: int, size: int | None = None):
        remaining = max(limit - used, 0)
        wanted = f"The file needs {human_size(size)}" if size is not None else "This upload does not fit"
        super().__init__(f"{wanted}, but only {human_size(remaining)} of your "
                         f"{human_size(limit)} quota is left.")


class UnsupportedFileType(ApiError):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    default_code = "unsupported_file_type"


class FileBlocked(ApiError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "file_blocked"
    default_detail = "This file has been blocked by a moderator."
