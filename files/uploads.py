"""The upload handler that checks, hashes and sniffs a file while it streams.

It runs first in Django's handler chain and passes every chunk on unchanged,
so the memory and temporary-file handlers after it store the bytes as usual.
Nothing reads the file a second time: the sha256, the size and the first bytes
for sniffing are all collected here.
"""

import hashlib

from django.core.files.uploadhandler import FileUploadHandler

from .errors import FileTooLarge
from .sniffing import HEAD_SIZE


class StreamedFacts:
    """What the handler learned about one uploaded file."""

    __slots__ = ("digest", "head", "size")

    def __init__(self):
        self.digest = hashlib.sha256()
        self.head = bytearray()
        self.size = 0

    @property
    def sha256(self) -> str:
        return self.digest.hexdigest()

    def update(self, chunk: bytes) -> None:
        """Account for the next ``chunk`` of the file."""
        self.digest.update(chunk)
        self.size += len(chunk)
        if len(self.head) < HEAD_SIZE:
            self.head += chunk[: HEAD_SIZE - len(self.head)]

    @classmethod
    def of_stream(cls, stream, chunk_size: int = 1024 * 1024) -> "StreamedFacts":
        """The facts of everything ``stream`` yields, read once in ``chunk_size`` pieces."""
        facts = cls()
        while chunk := stream.read(chunk_size):
            facts.update(chunk)
        return facts


class CheckingUploadHandler(FileUploadHandler):
    """Stops the upload at ``max_size`` bytes (over all files of the request)
    and records sha256, size and head of each file by field name."""

    def __init__(self, request=None, *, max_size: int):
        super().__init__(request)
        self.max_size = max_size
        self.received = 0
        self.facts: dict[str, StreamedFacts] = {}
        self._current: StreamedFacts | None = None

    def new_file(self, field_name, *args, **kwargs):
        super().new_file(field_name, *args, **kwargs)
        self._current = self.facts[field_name] = StreamedFacts()

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.max_size:
            raise FileTooLarge(limit=self.max_size)
        self._current.update(raw_data)
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler builds the UploadedFile
