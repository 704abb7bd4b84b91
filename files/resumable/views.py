"""The tus 1.0.0 protocol at ``/api/v1/uploads/``: core, creation, creation-with-upload,
termination, expiration. Headers in, a service call, headers out; every error in the envelope.

The PATCH body is handed to the service as the raw request stream, read a
piece at a time, so it is stored as it arrives and never parsed or buffered whole.
"""

import base64
import binascii

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils.http import http_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api.throttling import ScopedRateThrottle, UserRateThrottle
from core.exceptions import ApplicationError

from ..schema import TUS_CREATE_ERROR_RESPONSES, TUS_ERROR_RESPONSES, TUS_PATCH_ERROR_RESPONSES
from ..serializers import ResumableUploadSerializer
from . import selectors, services

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,creation-with-upload,termination,expiration"
PATCH_CONTENT_TYPE = "application/offset+octet-stream"


class PreconditionFailed(ApplicationError):
    status = 412
    code = "precondition_failed"
    detail = f"Send Tus-Resumable: {TUS_VERSION}; this server speaks tus {TUS_VERSION}."


def _header_int(request, name: str, *, required: bool = True) -> int | None:
    value = request.headers.get(name)
    if value is None:
        if required:
            raise ApplicationError(f"The {name} header is required.")
        return None
    if not value.isdigit():
        raise ApplicationError(f"{name} must be a non-negative integer.")
    return int(value)


def _metadata(request) -> dict[str, str]:
    """Upload-Metadata: comma-separated ``key base64value`` pairs (the value may be absent)."""
    metadata = {}
    for pair in filter(None, (p.strip() for p in request.headers.get("Upload-Metadata", "").split(","))):
        key, _, value = pair.partition(" ")
        try:
            metadata[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ApplicationError(f"Upload-Metadata value of '{key}' is not base64 of UTF-8.") from exc
    return metadata


def _body_reader(request):
    """``read(n)`` over the raw body: Content-Length bounded, or the chunked stream itself.

    Under WSGI Django bounds its stream by Content-Length (0 without one), so a
    chunked body is read from ``wsgi.input``, which the server de-chunks; under
    ASGI the request's stream is the whole body already.
    """
    django_request = request._request
    if django_request.META.get("CONTENT_LENGTH"):
        return django_request.read
    if "chunked" in django_request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
        wsgi_input = django_request.META.get("wsgi.input")
        return wsgi_input.read if wsgi_input is not None else django_request.read
    return lambda size: b""


def _has_body(request) -> bool:
    return (_header_int(request, "Content-Length", required=False) or 0) > 0 or "chunked" in \
        request.headers.get("Transfer-Encoding", "").lower()


class TusView(APIView):
    """What every tus endpoint shares: Tus-Resumable required and answered, throttles, headers."""

    throttle_classes = [UserRateThrottle]

    def get_permissions(self):
        if self.request.method == "OPTIONS":
            return [AllowAny()]
        return super().get_permissions()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method != "OPTIONS" and request.headers.get("Tus-Resumable") != TUS_VERSION:
            raise PreconditionFailed(headers={"Tus-Version": TUS_VERSION})

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Tus-Resumable"] = TUS_VERSION
        return response

    def _progress_headers(self, upload, response):
        response["Upload-Offset"] = str(upload.offset)
        response["Upload-Expires"] = http_date(upload.expires_at.timestamp())
        return response

    def _check_content_type(self, request) -> None:
        content_type = request.content_type.split(";")[0].strip().lower()
        if content_type != PATCH_CONTENT_TYPE:
            raise UnsupportedMediaType(content_type or "(none)",
                                       detail=f"Send the bytes as Content-Type: {PATCH_CONTENT_TYPE}.")

    def _append(self, request, upload, offset: int):
        self._check_content_type(request)
        return services.upload_append(upload=upload, offset=offset, read=_body_reader(request),
                                      declared_size=_header_int(request, "Content-Length", required=False))

    def _file_location(self, request, upload, response):
        if upload.file_id is not None:
            response["File-Location"] = request.build_absolute_uri(
                reverse("file-detail", kwargs={"pk": upload.file_id}))
        return response


class UploadCreationView(TusView):
    """OPTIONS (what the server supports) and POST (create an upload, optionally with its first bytes)."""

    def get_throttles(self):
        if self.request.method == "POST":
            self.throttle_scope = "upload"
            return [ScopedRateThrottle()]
        return super().get_throttles()

    @extend_schema(operation_id="describeResumableUploads", tags=["uploads"], request=None,
                   description="tus discovery (no token needed): the versions, extensions and largest size.",
                   responses={204: OpenApiResponse(description="Tus-Version, Tus-Extension and Tus-Max-Size headers.")})
    def options(self, request, *args, **kwargs):
        response = HttpResponse(status=204)
        response["Tus-Version"] = TUS_VERSION
        response["Tus-Extension"] = TUS_EXTENSIONS
        response["Tus-Max-Size"] = str(settings.FILES_MAX_UPLOAD_SIZE)
        return response

    @extend_schema(
        operation_id="createResumableUpload", tags=["uploads"],
        description="tus creation: reserve `Upload-Length` bytes of the quota and answer the upload's URL in "
                    "`Location`; with a body (creation-with-upload) its first bytes are stored too.",
        request={PATCH_CONTENT_TYPE: OpenApiTypes.BINARY},
        parameters=[
            OpenApiParameter("Tus-Resumable", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("Upload-Length", OpenApiTypes.INT, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("Upload-Metadata", OpenApiTypes.STR, OpenApiParameter.HEADER,
                             description="`filename <base64>` names the file; other keys are ignored."),
        ],
        responses={201: OpenApiResponse(description="Location, Upload-Offset, Upload-Expires headers."),
                   **TUS_CREATE_ERROR_RESPONSES},
    )
    def post(self, request):
        if request.headers.get("Upload-Defer-Length") is not None:
            raise ApplicationError("Upload-Defer-Length is not supported; send Upload-Length.")
        length = _header_int(request, "Upload-Length")
        filename = _metadata(request).get("filename")
        with_upload = _has_body(request)  # creation-with-upload
        if with_upload:
            # Refused before the upload exists, so a refusal leaves no reservation behind.
            self._check_content_type(request)
            size = _header_int(request, "Content-Length", required=False)
            if size is not None and size > length:
                raise services.PastUploadLength(f"The body of {size} bytes goes past Upload-Length ({length}).")
        upload = services.upload_create(owner=request.user, length=length, filename=filename)
        if with_upload:
            upload = self._append(request, upload, 0)
        response = HttpResponse(status=201)
        response["Location"] = request.build_absolute_uri(
            reverse("resumable-upload-detail", kwargs={"upload_id": upload.pk}))
        return self._file_location(request, upload, self._progress_headers(upload, response))


class UploadDetailView(TusView):
    """HEAD (the offset), PATCH (append bytes), DELETE (terminate) and GET (progress and File)."""

    @extend_schema(operation_id="getResumableUpload", tags=["uploads"],
                   description="Not part of tus: the upload's progress as JSON, and its File once complete.",
                   responses={200: ResumableUploadSerializer, **TUS_ERROR_RESPONSES})
    def get(self, request, upload_id):
        upload = selectors.upload_get(owner=request.user, upload_id=upload_id)
        response = Response(ResumableUploadSerializer(upload, context={"request": request}).data)
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(operation_id="getResumableUploadOffset", tags=["uploads"],
                   description="tus HEAD: how many bytes the server has, to resume from there.",
                   responses={200: OpenApiResponse(description="Upload-Offset, Upload-Length, Upload-Expires."),
                              **TUS_ERROR_RESPONSES})
    def head(self, request, upload_id):
        upload = selectors.upload_get(owner=request.user, upload_id=upload_id)
        response = self._progress_headers(upload, HttpResponse(status=200))
        response["Upload-Length"] = str(upload.length)
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        operation_id="appendToResumableUpload", tags=["uploads"],
        description="tus PATCH: append the body at `Upload-Offset`; the PATCH that reaches `Upload-Length` "
                    "turns the upload into a File (`File-Location`).",
        request={PATCH_CONTENT_TYPE: OpenApiTypes.BINARY},
        parameters=[OpenApiParameter("Upload-Offset", OpenApiTypes.INT, OpenApiParameter.HEADER, required=True)],
        responses={204: OpenApiResponse(description="Upload-Offset; File-Location when complete."),
                   **TUS_PATCH_ERROR_RESPONSES},
    )
    def patch(self, request, upload_id):
        upload = selectors.upload_get(owner=request.user, upload_id=upload_id)
        offset = _header_int(request, "Upload-Offset")
        upload = self._append(request, upload, offset)
        return self._file_location(request, upload, self._progress_headers(upload, HttpResponse(status=204)))

    @extend_schema(operation_id="terminateResumableUpload", tags=["uploads"],
                   description="tus termination: remove the partial bytes and release the quota reservation.",
                   responses={204: None, **TUS_ERROR_RESPONSES})
    def delete(self, request, upload_id):
        services.upload_terminate(upload=selectors.upload_get(owner=request.user, upload_id=upload_id))
        return HttpResponse(status=204)
