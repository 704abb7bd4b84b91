from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from api.serializers import PrebuiltFieldsMixin

from . import signing
from .models import File


# "StoredFile" in the schema: "File" would shadow the DOM's File in generated TypeScript
# and the generators' own File types (the JSON is the same).
@extend_schema_serializer(component_name="StoredFile")
class FileSerializer(PrebuiltFieldsMixin, serializers.ModelSerializer):
    """The File object of the contract."""

    file = serializers.SerializerMethodField(help_text="URL that downloads the original bytes.")
    result = serializers.SerializerMethodField(help_text="What processing found; null until processed.")
    download_url = serializers.SerializerMethodField(
        help_text="Signed URL of the original bytes that works without a token (for a link), valid "
                  "FILES_SIGNED_URL_TTL seconds; 403 once expired or if the file is blocked.")
    thumbnail_url = serializers.SerializerMethodField(
        help_text="Signed URL of the thumbnail that works without a token (for `<img src>`), valid "
                  "FILES_SIGNED_URL_TTL seconds; null while there is no thumbnail.")

    class Meta:
        model = File
        fields = ["id", "name", "file", "size", "content_type", "kind", "sha256", "status", "processed",
                  "uploaded_at", "processed_at", "status_changed_at", "download_url", "thumbnail_url", "error",
                  "blocked", "result"]
        read_only_fields = fields

    @property
    def _urls(self) -> signing.FileUrls:
        # One per serialization: a list's items share its context.
        if "file_urls" not in self.context:
            self.context["file_urls"] = signing.FileUrls(self.context.get("request"))
        return self.context["file_urls"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_file(self, record: File) -> str:
        return self._urls.endpoint("file-download", record.pk)

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, record: File) -> str:
        return self._urls.download_url(record)

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_thumbnail_url(self, record: File) -> str | None:
        return self._urls.thumbnail_url(record)

    @extend_schema_field({"type": "object", "additionalProperties": {}, "nullable": True})
    def get_result(self, record: File):
        result = record.result
        if result is None or "thumbnail" not in result:
            return result
        thumbnail = self._urls.endpoint("file-thumbnail", record.pk) if result["thumbnail"] else None
        return {**result, "thumbnail": thumbnail}


class UploadSerializer(serializers.Serializer):
    """The multipart upload body (for the schema; the view reads the stream itself)."""

    file = serializers.FileField()


class ResumableUploadSerializer(serializers.Serializer):
    """A resumable upload's progress, and its File once complete."""

    id = serializers.UUIDField(read_only=True)
    offset = serializers.IntegerField(read_only=True)
    length = serializers.IntegerField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)
    file = FileSerializer(read_only=True, allow_null=True)
