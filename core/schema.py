"""OpenAPI pieces shared by every app: the error envelope and its responses."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "code": serializers.CharField(help_text="Stable, machine-readable error code."),
        "detail": serializers.CharField(help_text="What went wrong, for people."),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            help_text="Field name -> messages, for validation errors; empty otherwise.",
        ),
    },
)


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=description)


ERROR_RESPONSES = {
    400: _error("invalid, malformed_request"),
    401: _error("not_authenticated, token_not_valid, authentication_failed"),
    429: _error("throttled (Retry-After header set)"),
}
FILE_ERROR_RESPONSES = {
    **ERROR_RESPONSES,
    403: _error("permission_denied, file_blocked"),
    404: _error("not_found: unknown id or another user's file"),
}
UPLOAD_ERROR_RESPONSES = {
    **ERROR_RESPONSES,
    400: _error("invalid, file_required, empty_file, malformed_request"),
    413: _error("file_too_large, quota_exceeded"),
    415: _error("unsupported_file_type, unsupported_media_type"),
}
CONFLICT_RESPONSE = {409: _error("conflict: the file is being processed")}
