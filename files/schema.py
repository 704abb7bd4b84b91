"""OpenAPI responses particular to the upload domain's operations.

Those any operation can answer (401, 429, 500, and 400/415 where there is a
body or a query) are added to every operation by ``api.schema.add_error_responses``.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse

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
# files.downloads: one Range → 206, If-None-Match → 304, a range past the end → 416.
_PARTIAL = OpenApiResponse(OpenApiTypes.BINARY, description="The bytes `Range: bytes=a-b` (or `a-`, `-n`) asked "
                                                           "for, with `Content-Range: bytes a-b/size`.")
DOWNLOAD_RESPONSES = {
    # application/octet-stream first, which generators read as binary; */* is what the bytes are.
    (206, "application/octet-stream"): _PARTIAL,
    (206, "*/*"): _PARTIAL,
    304: OpenApiResponse(description="`If-None-Match` names the `ETag` (the quoted sha256 for downloads)."),
    416: error_response("range_not_satisfiable: the range starts past the end (`Content-Range: bytes */size`)"),
}
