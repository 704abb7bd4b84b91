"""Any file no other processor claims: stored and checksummed, nothing more."""

from ..enums import Kind
from .base import Source

KIND = Kind.OTHER
MIME_TYPES: frozenset[str] = frozenset()


def handles(content_type: str) -> bool:
    return True


def process(source: Source) -> dict:
    return {}
