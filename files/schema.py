"""OpenAPI responses particular to the upload domain's operations.

Those any operation can answer (401, 429, 500, and 400/415 where there is a
body or a query) are added to every operation by ``api.schema.add_error_responses``.
"""

from api.schema import error_response

FILE_ERROR_RESPONSES = {
    403: error_response("permission_denied, file_blocked"),
    404: error_response("not_found: unknown id or another user's file"),
}
UPLOAD_ERROR_RESPONSES = {
    400: error_response("invalid, file_required, empty_file, malformed_request"),
    413: error_response("file_too_large, quota_exceeded"),
    415: error_response("unsupported_file_type, unsupported_media_type"),
}
CONFLICT_RESPONSE = {409: error_response("conflict: the file is being processed")}
TUS_ERROR_RESPONSES = {
    404: error_response("not_found: unknown, expired or another user's upload"),
    412: error_response("precondition_failed: no Tus-Resumable: 1.0.0 header"),
}
TUS_CREATE_ERROR_RESPONSES = {
    400: error_response("invalid: no or bad Upload-Length or Upload-Metadata; empty_file"),
    412: TUS_ERROR_RESPONSES[412],
    413: error_response("file_too_large, quota_exceeded: Upload-Length over the limit or the quota left"),
    415: error_response("unsupported_media_type, unsupported_file_type (creation-with-upload)"),
}
TUS_PATCH_ERROR_RESPONSES = {
    **TUS_ERROR_RESPONSES,
    400: error_response("invalid: the body goes past Upload-Length, or a bad Upload-Offset"),
    409: error_response("conflict: Upload-Offset is not the upload's offset"),
    415: error_response("unsupported_media_type: not application/offset+octet-stream; "
                        "unsupported_file_type: the completed file is refused"),
}
