"""The processor registry: each processor declares its kind and the MIME types
it handles; the pipeline asks here and never branches on MIME type.

A processor is anything with the ``Processor`` shape (each module here is one).
Adding a kind is adding one module and one line in ``PROCESSORS``.
"""

from collections.abc import Set
from typing import Protocol

from ..enums import Kind
from . import archive, audio, document, image, other, text, video
from .base import ProcessingError, Source


class Processor(Protocol):
    """What the pipeline needs of a processor."""

    KIND: Kind
    MIME_TYPES: Set[str]

    def handles(self, content_type: str) -> bool:
        """True when this processor takes files of ``content_type``."""

    def process(self, source: Source) -> dict:
        """The file's results (a plain dict; ``thumbnail`` bytes are stored by the pipeline), or ProcessingError."""


PROCESSORS: tuple[Processor, ...] = (image, video, audio, text, document, archive)
FALLBACK: Processor = other


def processor_for(content_type: str) -> Processor:
    """The processor for ``content_type``; ``other`` when none claims it."""
    for processor in PROCESSORS:
        if processor.handles(content_type):
            return processor
    return FALLBACK


def kind_for(content_type: str) -> Kind:
    return processor_for(content_type).KIND


__all__ = ["PROCESSORS", "ProcessingError", "Processor", "Source", "kind_for", "processor_for"]
