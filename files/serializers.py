from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import File


class FileSerializer(serializers.ModelSerializer):
    """The File object of the contract."""

    file = serializers.SerializerMethodField(help_text="URL that downloads the original bytes.")
    result = serializers.SerializerMethodField(help_text="What processing found; null until processed.")

    class Meta:
        model = File
        fields = ["id", "name", "file", "size", "content_type", "kind", "sha256", "status", "processed",
                  "uploaded_at", "processed_at", "status_changed_at", "error", "blocked", "result"]
        read_only_fields = fields

    def _url(self, name: str, record: File) -> str:
        path = reverse(name, kwargs={"pk": record.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    @extend_schema_field(OpenApiTypes.URI)
    def get_file(self, record: File) -> str:
        return self._url("file-download", record)

    @extend_schema_field({"type": "object", "additionalProperties": {}, "nullable": True})
    def get_result(self, record: File):
        result = record.result
        if result is None or "thumbnail" not in result:
            return result
        return {**result, "thumbnail": self._url("file-thumbnail", record) if result["thumbnail"] else None}


class UploadSerializer(serializers.Serializer):
    """The multipart upload body (for the schema; the view reads the stream itself)."""

    file = serializers.FileField()
