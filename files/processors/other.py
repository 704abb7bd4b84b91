"""Any file no other processor claims: stored and checksummed, nothing more."""

from .base import Source

KIND = "other"
MIME_TYPES: frozenset[str] = frozenset()


def handles(content_type: str) -> bool:
    return True


def process(source: Source) -> dict:
    return {}
