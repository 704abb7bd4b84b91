"""PDF documents with pypdf: page count, encryption, title and author."""

import logging

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from ..enums import Kind
from .base import ProcessingError, Source

KIND = Kind.DOCUMENT
MIME_TYPES = frozenset({"application/pdf"})

logging.getLogger("pypdf").setLevel(logging.ERROR)


def handles(content_type: str) -> bool:
    return content_type in MIME_TYPES


def process(source: Source) -> dict:
    with source.open() as stream:
        try:
            reader = PdfReader(stream, strict=False)
            encrypted = reader.is_encrypted
            if encrypted:
                try:
                    readable = bool(reader.decrypt(""))
                except (PyPdfError, NotImplementedError):
                    readable = False
                if not readable:
                    return {"pages": None, "encrypted": True, "title": None, "author": None}
            metadata = reader.metadata
            return {
                "pages": len(reader.pages),
                "encrypted": encrypted,
                "title": _text(metadata.title) if metadata else None,
                "author": _text(metadata.author) if metadata else None,
            }
        except (PyPdfError, ValueError, KeyError, TypeError, RecursionError) as exc:
            raise ProcessingError(f"The PDF is corrupt or unreadable: {exc}.") from exc


def _text(value) -> str | None:
    if value is None:
        return None
    return str(value).strip()[:500] or None
