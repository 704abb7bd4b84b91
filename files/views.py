from urllib.parse import quote

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, UnsupportedMediaType, ValidationError
from rest_framework.filters import SearchFilter
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import DEFAULT_CODES
from api.pagination import StableOrderingFilter, paginator_for
from api.throttling import ScopedRateThrottle, UserRateThrottle
from core import metrics
from core.storage import local_path_available, presigned_download_url

from . import downloads, selectors, services, signing
from .errors import FileBlocked, FileRequired, FileTooLarge
from .filters import FileFilter
from .models import File
from .parsers import CheckedMultiPartParser
from .schema import CONFLICT_RESPONSE, DOWNLOAD_RESPONSES, FILE_ERROR_RESPONSES, UPLOAD_ERROR_RESPONSES
from .serializers import FileSerializer, UploadSerializer

IDEMPOTENCY_KEY_MAX_LENGTH = 255
# Room for the multipart framing and small form fields around the file.
MULTIPART_OVERHEAD = 64 * 1024


class UploadView(APIView):
    """Store one file (multipart field ``file``) and answer 201 before it is processed."""

    parser_classes = [CheckedMultiPartParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "upload"

    @extend_schema(
        operation_id="uploadFile", tags=["files"],
        summary="Upload a file",
        description="Store one file (multipart field `file`) and answer 201 with the File as soon as the bytes "
                    "are stored; processing follows in a worker (poll the `Location` URL, or list with "
                    "`status`). Type and kind come from the bytes. With `Idempotency-Key`, a repeat within "
                    "24 hours answers the first upload's File and stores nothing new.",
        request={"multipart/form-data": UploadSerializer},
        parameters=[
            OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER,
                             description="Retry-safe key (≤ 255 chars): a repeat within 24 h "
                                         "answers the first upload's file."),
            OpenApiParameter("Location", OpenApiTypes.URI, OpenApiParameter.HEADER, response=[201],
                             description="URL of the new file (GET it to follow its processing)."),
        ],
        responses={201: FileSerializer, **UPLOAD_ERROR_RESPONSES},
    )
    def post(self, request):
        key = self._idempotency_key(request)
        if key:
            earlier = selectors.file_by_idempotency_key(owner=request.user, key=key)
            if earlier is not None:
                return self._created(request, earlier)
        self._refuse_before_reading(request)
        try:
            uploads = request.FILES.getlist("file")
            if len(uploads) > 1:
                raise ValidationError({"file": ["Send exactly one file per upload."]})
            upload = uploads[0] if uploads else None
            record, created = services.file_create(owner=request.user, upload=upload,
                                                   facts=getattr(upload, "facts", None), idempotency_key=key)
        finally:
            _discard_temporary_files(request)
        if created:
            metrics.UPLOADS_ACCEPTED.labels(record.kind).inc()
            metrics.UPLOAD_BYTES.labels(record.kind).inc(record.size)
        return self._created(request, record)

    def handle_exception(self, exc):
        """Every refusal answers the envelope; count it by its code."""
        response = super().handle_exception(exc)
        data = getattr(response, "data", None)  # a crash answers a plain JsonResponse
        code = data["code"] if isinstance(data, dict) and "code" in data else DEFAULT_CODES.get(
            response.status_code, "error")
        metrics.UPLOADS_REFUSED.labels(code).inc()
        return response

    def _created(self, request, record: File) -> Response:
        data = FileSerializer(record, context={"request": request}).data
        location = request.build_absolute_uri(reverse("file-detail", kwargs={"pk": record.pk}))
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": location})

    def _idempotency_key(self, request) -> str | None:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return None
        if not key or len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
            raise ValidationError({"Idempotency-Key": [
                f"Must be 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} characters."]})
        return key

    def _refuse_before_reading(self, request) -> None:
        """Refuse before reading the body what cannot be a legal upload."""
        if not request.content_type.startswith("multipart/form-data"):
            raise UnsupportedMediaType(request.content_type or "(none)",
                                       detail="Send the file as multipart/form-data in the field 'file'.")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.FILES_MAX_UPLOAD_SIZE + settings.DATA_UPLOAD_MAX_MEMORY_SIZE + MULTIPART_OVERHEAD:
            raise FileTooLarge(limit=settings.FILES_MAX_UPLOAD_SIZE)
        if length == 0 and "chunked" not in request.META.get("HTTP_TRANSFER_ENCODING", ""):
            raise FileRequired()
        services.quota_check(user=request.user,
                             incoming=max(0, length - settings.DATA_UPLOAD_MAX_MEMORY_SIZE - MULTIPART_OVERHEAD))


def _discard_temporary_files(request) -> None:
    """Close (and so delete) upload temp files: the stored file was copied out already.

    A body that failed to parse left none (the parser closed its partial files).
    """
    for _, uploads in request.FILES.lists():
        for uploaded in uploads:
            uploaded.close()


SIGNATURE_PARAMETER = OpenApiParameter(
    "sig", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
    description="The signature of a File's `download_url`/`thumbnail_url`: with it, no Bearer token is needed "
                "(403 `permission_denied` once expired, tampered with, or for a blocked file).")


@extend_schema(tags=["files"])
@extend_schema_view(
    list=extend_schema(
        operation_id="listFiles", summary="List your files",
        description="The caller's files, filtered and ordered. Page numbers (`page`, `page_size`) answer "
                    "`{count, next, previous, results}`; counting and `OFFSET` cost time proportional to the "
                    "number of matching files, so deep pages of a large collection are slow. Clients that "
                    "scroll send `cursor` (empty first) and get `{next, previous, results}` without `count`: "
                    "keyset pagination whose cost does not grow with the number of files.",
        responses={200: FileSerializer(many=True), **FILE_ERROR_RESPONSES}),
    retrieve=extend_schema(
        operation_id="getFile", summary="Get a file",
        description="One of the caller's files: its status, what processing found, and fresh signed URLs. "
                    "Another user's file answers 404 like a missing one.",
        responses={200: FileSerializer, **FILE_ERROR_RESPONSES}),
    destroy=extend_schema(
        operation_id="deleteFile", summary="Delete a file",
        description="Delete one of the caller's files; its stored bytes and thumbnail are removed too.",
        responses={204: None, **FILE_ERROR_RESPONSES}),
)
class FileViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin,
                  viewsets.GenericViewSet):
    """The caller's own files: list, detail, download, thumbnail, reprocess, delete."""

    serializer_class = FileSerializer
    filterset_class = FileFilter
    search_fields = ["name"]
    filter_backends = [DjangoFilterBackend, SearchFilter, StableOrderingFilter]
    ordering_fields = ["uploaded_at", "size", "name", "processed_at", "status_changed_at"]
    ordering = ["-uploaded_at", "-id"]
    throttle_classes = [UserRateThrottle]

    @property
    def paginator(self):
        if not hasattr(self, "_paginator"):
            self._paginator = paginator_for(getattr(self, "request", None), self.pagination_class)
        return self._paginator

    def get_queryset(self):
        return selectors.file_list(owner=self.request.user)

    def _signature(self) -> str | None:
        """The ``sig`` of a signed download/thumbnail URL, which stands in for the Bearer token."""
        if self.action in signing.PURPOSES:
            return self.request.query_params.get(signing.QUERY_PARAMETER)
        return None

    def get_permissions(self):
        if self._signature() is not None:
            return [permissions.AllowAny()]
        return super().get_permissions()

    def get_object(self):
        token = self._signature()
        if token is not None:
            return signing.signed_file(token=token, file_id=self.kwargs["pk"], purpose=self.action)
        record = selectors.file_get(owner=self.request.user, file_id=self.kwargs["pk"])
        self.check_object_permissions(self.request, record)
        return record

    def perform_destroy(self, instance):
        services.file_delete(record=instance)

    @extend_schema(operation_id="downloadFile", summary="Download a file's bytes",
                   description="The original bytes as an attachment (`Content-Disposition` with the original "
                               "name, RFC 6266). Works with the Bearer token or with the `sig` of the File's "
                               "`download_url`. A blocked file answers 403 `file_blocked`.",
                   parameters=[SIGNATURE_PARAMETER],
                   # The bytes keep their own type (*/*); application/octet-stream first, which
                   # generators read as binary (they drop or mis-parse a lone */*).
                   responses={(200, "application/octet-stream"): OpenApiResponse(
                                  OpenApiTypes.BINARY, description="The original bytes (their own Content-Type)."),
                              (200, "*/*"): OpenApiResponse(
                                  OpenApiTypes.BINARY, description="The original bytes (their own Content-Type)."),
                              302: OpenApiResponse(description="With S3_PRESIGNED_DOWNLOADS: to a short-lived "
                                                               "presigned URL of the bytes (Location header)."),
                              **DOWNLOAD_RESPONSES, **FILE_ERROR_RESPONSES})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        record = self.get_object()
        if record.blocked:
            raise FileBlocked()
        return _stored_file_response(request, record.file, record.name, record.content_type,
                                     etag=downloads.etag_for(record.sha256), size=record.size)

    @extend_schema(operation_id="getThumbnail", summary="Get a file's thumbnail",
                   description="The thumbnail (WebP, at most 256×256) of a processed image, or a video's poster "
                               "frame; 404 before processing and for kinds without one. Works with the Bearer "
                               "token or with the `sig` of the File's `thumbnail_url`, so a page can use that URL "
                               "in `<img src>`.",
                   parameters=[SIGNATURE_PARAMETER],
                   responses={(200, "image/webp"): OpenApiResponse(OpenApiTypes.BINARY,
                                                                   description="The thumbnail."),
                              302: OpenApiResponse(description="With S3_PRESIGNED_DOWNLOADS: to a short-lived "
                                                               "presigned URL of the thumbnail (Location header)."),
                              **DOWNLOAD_RESPONSES, **FILE_ERROR_RESPONSES})
    @action(detail=True, methods=["get"])
    def thumbnail(self, request, pk=None):
        record = self.get_object()
        if record.blocked:
            raise FileBlocked()
        if not record.thumbnail:
            raise NotFound("This file has no thumbnail (only images and videos have one, once processed).")
        return _stored_file_response(request, record.thumbnail, f"{record.name}.webp", "image/webp", inline=True)

    @extend_schema(operation_id="reprocessFile", summary="Process a file again",
                   description="Queue the file for processing again (status `pending`); 409 while it is being "
                               "processed.",
                   request=None, responses={202: FileSerializer, **FILE_ERROR_RESPONSES, **CONFLICT_RESPONSE})
    @action(detail=True, methods=["post"])
    def reprocess(self, request, pk=None):
        record = services.file_reprocess(record=self.get_object())
        return Response(FileSerializer(record, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)


def _stored_file_response(request, field_file, display_name: str, content_type: str, *, inline: bool = False,
                          etag: str | None = None, size: int | None = None):
    """Stream stored bytes, hand them to nginx, or redirect to a short-lived presigned
    bucket URL (S3), as a download that never renders on our origin.

    Validators and ranges (304, 206, 416, HEAD) are ``files.downloads``'s; behind
    nginx the view answers 304 and 416 and nginx cuts the range.
    """
    disposition = content_disposition(display_name, inline=inline)
    storage = field_file.storage
    if downloads.not_modified(request, etag):
        return downloads.not_modified_response(etag, cache_control="private, no-store")
    url = presigned_download_url(storage, field_file.name, response_headers={
        "Content-Disposition": disposition, "Content-Type": content_type, "Cache-Control": "private, no-store"})
    if url is not None:
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"
        return response
    byte_range = downloads.requested_range(request, storage, field_file.name, size=size, etag=etag)
    if settings.FILES_ACCEL_REDIRECT_PREFIX and local_path_available(storage):
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.FILES_ACCEL_REDIRECT_PREFIX.rstrip("/") + "/" + field_file.name
    else:
        response = downloads.stream_response(request, storage, field_file.name, content_type, size=size,
                                             byte_range=byte_range)
    downloads.add_validators(response, etag)
    response["Content-Disposition"] = disposition
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def content_disposition(name: str, *, inline: bool = False) -> str:
    """RFC 6266: an ASCII fallback ``filename`` and the exact UTF-8 ``filename*``."""
    fallback = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    fallback = fallback.replace("\\", "_").replace('"', "_")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
