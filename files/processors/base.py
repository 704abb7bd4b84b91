"""What every processor gets and may raise."""

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from django.core.files.storage import Storage


class ProcessingError(Exception):
    """A permanent failure: the file itself is the problem (corrupt, too large to
    decode, over a limit). Its message is shown to the user as ``error``."""


@dataclass(frozen=True)
class Source:
    """Read access to one stored file, through the storage API only."""

    storage: Storage
    name: str
    content_type: str
    size: int

    def open(self) -> IO[bytes]:
        return self.storage.open(self.name, "rb")

    @contextlib.contextmanager
    def local_path(self) -> Iterator[str]:
        """A real file path for libraries that need one; spooled from remote storage."""
        try:
            yield self.storage.path(self.name)
            return
        except NotImplementedError:
            pass
        with tempfile.NamedTemporaryFile(prefix="process-") as spool, self.open() as stored:
            shutil.copyfileobj(stored, spool, length=1024 * 1024)
            spool.flush()
            yield spool.name
