"""The processor registry: each processor module declares its kind and the MIME
types it handles; the pipeline asks here and never branches on MIME type.

Adding a kind is adding one module and one line in ``PROCESSORS``.
"""

from types import ModuleType

from . import archive, document, image, other, text
from .base import ProcessingError, Source

PROCESSORS: tuple[ModuleType, ...] = (image, text, document, archive)
FALLBACK = other


def processor_for(content_type: str) -> ModuleType:
    """The processor module for ``content_type``; ``other`` when none claims it."""
    for processor in PROCESSORS:
        if processor.handles(content_type):
            return processor
    return FALLBACK


def kind_for(content_type: str) -> str:
    return processor_for(content_type).KIND


__all__ = ["PROCESSORS", "ProcessingError", "Source", "kind_for", "processor_for"]
