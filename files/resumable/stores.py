"""Where a resumable upload's partial bytes wait: a partial file on local disk, or an S3
multipart upload.

A store writes a PATCH body as it is read, so a connection cut half-way keeps
what arrived. The database row (``offset``, ``s3_parts``) is the truth: bytes a
store wrote beyond it (a worker killed mid-PATCH, a body refused as too long)
are ignored and overwritten by the next PATCH. Completion puts the bytes under
the File's generated name without sending them through the web process again
(a rename; S3's CompleteMultipartUpload).
"""

import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from botocore.exceptions import ClientError
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage

from core.storage import MIN_PART_SIZE, STORAGE_ERRORS, local_path_available

from ..models import ResumableUpload, stored_name_for

logger = logging.getLogger(__name__)

PARTIAL_DIR = ".tus"


class BodyTooLong(Exception):
    """The PATCH body goes past ``Upload-Length``; nothing of it is kept."""


@dataclass
class Appended:
    """The upload's state after a PATCH body was stored (what the row must say)."""

    offset: int
    parts: list[dict] = field(default_factory=list)


def final_name(upload: ResumableUpload) -> str:
    """The stored name of the File the upload becomes (as ``files.models.storage_name`` makes it)."""
    return stored_name_for(upload.new_file_id)


class LocalPartialStore:
    """A partial file under ``MEDIA_ROOT/.tus/`` (the media volume every web host shares)."""

    def __init__(self, storage):
        self.storage = storage

    def _partial_path(self, upload: ResumableUpload) -> str:
        return self.storage.path(f"{PARTIAL_DIR}/{upload.id.hex}")

    def begin(self, upload: ResumableUpload) -> None:
        path = self._partial_path(upload)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb"):
            pass

    def append(self, upload: ResumableUpload, chunks: Iterator[bytes]) -> Appended:
        written = upload.offset
        with open(self._partial_path(upload), "r+b") as partial:
            partial.truncate(upload.offset)  # bytes past the recorded offset were never acknowledged
            partial.seek(upload.offset)
            try:
                for chunk in chunks:
                    partial.write(chunk)
                    written += len(chunk)
            except BodyTooLong:
                partial.truncate(upload.offset)
                raise
        return Appended(offset=written)

    def assemble(self, upload: ResumableUpload, appended: Appended) -> str:
        name = final_name(upload)
        target = self.storage.path(name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.replace(self._partial_path(upload), target)
        if settings.FILE_UPLOAD_PERMISSIONS is not None:
            os.chmod(target, settings.FILE_UPLOAD_PERMISSIONS)
        return name

    def discard(self, upload: ResumableUpload) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.remove(self._partial_path(upload))

    def forget_replaced(self, upload: ResumableUpload, appended: Appended) -> None:
        """Nothing to do: the partial file grows in place."""


class S3PartialStore:
    """An S3 multipart upload at the File's final key, created with the upload.

    Parts are ``upload_part_size`` bytes (at least S3's 5 MiB minimum); the
    bytes after the last whole part wait in a tail object named after the
    offset it ends at, read back and prefixed to the next PATCH (as tusd's
    s3store does). The last part may be smaller; CompleteMultipartUpload
    assembles the object inside S3.
    """

    def __init__(self, storage):
        self.storage = storage
        self.client = storage.connection.meta.client
        self.bucket = storage.bucket_name
        self.part_size = max(MIN_PART_SIZE, getattr(storage, "upload_part_size", MIN_PART_SIZE))

    def _key(self, name: str) -> str:
        return self.storage._key(name)

    def _tail_key(self, upload: ResumableUpload, offset: int) -> str:
        return self._key(f"{PARTIAL_DIR}/{upload.id.hex}.tail-{offset}")

    @staticmethod
    def _parts_size(parts: list[dict]) -> int:
        return sum(part["Size"] for part in parts)

    def begin(self, upload: ResumableUpload) -> None:
        name = final_name(upload)
        params = self.storage._get_write_parameters(name)
        created = self.client.create_multipart_upload(Bucket=self.bucket, Key=self._key(name), **params)
        upload.s3_upload_id = created["UploadId"]

    def append(self, upload: ResumableUpload, chunks: Iterator[bytes]) -> Appended:
        parts = list(upload.s3_parts)
        buffer = bytearray()
        if upload.offset > self._parts_size(parts):
            tail = self.client.get_object(Bucket=self.bucket, Key=self._tail_key(upload, upload.offset))
            buffer += tail["Body"].read()
        received = 0
        for chunk in chunks:  # BodyTooLong propagates: the parts sent are not recorded, so not kept
            buffer += chunk
            received += len(chunk)
            while len(buffer) >= self.part_size:
                parts.append(self._upload_part(upload, len(parts) + 1, bytes(buffer[:self.part_size])))
                del buffer[:self.part_size]
        offset = upload.offset + received
        if buffer:
            if offset == upload.length:
                parts.append(self._upload_part(upload, len(parts) + 1, bytes(buffer)))
            else:
                self.client.put_object(Bucket=self.bucket, Key=self._tail_key(upload, offset), Body=bytes(buffer))
        return Appended(offset=offset, parts=parts)

    def _upload_part(self, upload: ResumableUpload, number: int, body: bytes) -> dict:
        sent = self.client.upload_part(Bucket=self.bucket, Key=self._key(final_name(upload)),
                                       UploadId=upload.s3_upload_id, PartNumber=number, Body=body)
        return {"PartNumber": number, "ETag": sent["ETag"], "Size": len(body)}

    def forget_replaced(self, upload: ResumableUpload, appended: Appended) -> None:
        """After the row moved to ``appended``: remove the tail the PATCH started from."""
        if upload.offset > self._parts_size(upload.s3_parts) and appended.offset != upload.offset:
            self._delete(self._tail_key(upload, upload.offset))

    def assemble(self, upload: ResumableUpload, appended: Appended) -> str:
        name = final_name(upload)
        self.client.complete_multipart_upload(
            Bucket=self.bucket, Key=self._key(name), UploadId=upload.s3_upload_id,
            MultipartUpload={"Parts": [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in appended.parts]},
        )
        self.forget_replaced(upload, appended)
        return name

    def discard(self, upload: ResumableUpload) -> None:
        if upload.s3_upload_id:
            try:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=self._key(final_name(upload)),
                                                   UploadId=upload.s3_upload_id)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "NoSuchUpload":
                    raise
        listing = self.client.list_objects_v2(Bucket=self.bucket, Prefix=self._key(f"{PARTIAL_DIR}/{upload.id.hex}."))
        for obj in listing.get("Contents", ()):
            self.client.delete_object(Bucket=self.bucket, Key=obj["Key"])

    def _delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except STORAGE_ERRORS:
            logger.warning("Could not remove the tail object %s", key, exc_info=True)


def partial_store(storage=None) -> LocalPartialStore | S3PartialStore:
    """The store for the configured storage (``STORAGE_BACKEND``)."""
    storage = storage or default_storage
    if local_path_available(storage):
        return LocalPartialStore(storage)
    if hasattr(storage, "bucket_name"):
        return S3PartialStore(storage)
    raise ImproperlyConfigured(f"Resumable uploads need local disk or S3 storage, not {type(storage).__name__}.")
