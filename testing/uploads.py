"""The upload endpoints as a client sees them, and the processing pipeline run in-process."""

import io

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

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


def uploaded_and_processed(client, content: bytes, name: str) -> File:
    """Upload ``content`` (201 asserted) and run its processing in this process; the File afterwards."""
    response = upload(client, content, name)
    assert response.status_code == 201, response.json()
    return process_inline(response.json()["id"])


def stored_thumbnail(record: File) -> Image.Image:
    """The thumbnail (or poster frame) processing stored for ``record``, decoded."""
    with default_storage.open(record.thumbnail.name) as stored:
        image = Image.open(io.BytesIO(stored.read()))
        image.load()
    return image


def stored_names(media_root) -> list[str]:
    """Every stored object under MEDIA_ROOT (temp files included), relative names."""
    return sorted(str(p.relative_to(media_root)) for p in media_root.rglob("*") if p.is_file())
