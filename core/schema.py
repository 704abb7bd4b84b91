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


# Errors particular to some operations. Those any operation can answer (401,
# 429, 500, and 400/415 where there is a body or a query) are added to every
# operation by api.schema.add_error_responses.
FILE_ERROR_RESPONSES = {
    403: _error("permission_denied, file_blocked"),
    404: _error("not_found: unknown id or another user's file"),
}
UPLOAD_ERROR_RESPONSES = {
    400: _error("invalid, file_required, empty_file, malformed_request"),
    413: _error("file_too_large, quota_exceeded"),
    415: _error("unsupported_file_type, unsupported_media_type"),
}
CONFLICT_RESPONSE = {409: _error("conflict: the file is being processed")}
