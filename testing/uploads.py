"""The upload endpoints as a client sees them, and the processing pipeline run in-process."""

from django.core.files.uploadedfile import SimpleUploadedFile

from files import processing
from files.models import File

UPLOAD = "/api/v1/upload/"
FILES = "/api/v1/files/"


def upload(client, content: bytes, name: str = "sample.bin", **extra):
    """POST ``content`` as the multipart field ``file`` the way a client would."""
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, content)}, format="multipart", **extra)


def process_inline(file_id) -> File:
    """Run the real processing pipeline in this process (claim, process, finish)."""
    claimed = processing.file_claim(file_id=file_id, task_id="test-task").record
    assert isinstance(claimed, File), claimed
    processing.file_process(record=claimed, task_id="test-task")
    return File.objects.get(pk=file_id)


def stored_names(media_root) -> list[str]:
    """Every stored object under MEDIA_ROOT (temp files included), relative names."""
    return sorted(str(p.relative_to(media_root)) for p in media_root.rglob("*") if p.is_file())
