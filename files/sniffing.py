"""Content type and kind from the bytes: libmagic first, then decoding for text.

Only the first ``HEAD_SIZE`` bytes are looked at; the upload handler keeps them
while the upload streams, so sniffing never reads the stored file again.
"""

import mimetypes
from dataclasses import dataclass

import magic

from .processors import kind_for
from .processors.text import detect_encoding

HEAD_SIZE = 16 * 1024

EXECUTABLE_TYPES = frozenset({
    "application/x-executable", "application/x-sharedlib", "application/x-pie-executable",
    "application/x-object", "application/x-coredump", "application/x-elf",
    "application/x-dosexec", "application/vnd.microsoft.portable-executable", "application/x-msdownload",
    "application/x-mach-binary", "application/x-mach-o-executable",
})
SCRIPT_TYPES = frozenset({
    "text/x-shellscript", "application/x-sh", "text/x-php", "application/x-php", "text/x-perl",
    "text/x-python", "text/x-script.python", "text/x-ruby", "text/x-lua", "text/x-tcl", "text/x-awk",
    "application/x-bat", "text/x-msdos-batch", "application/javascript", "text/javascript",
})
# Characters allowed in text besides printable ones; more other control
# characters than this share means the bytes are binary, not text.
TEXT_CONTROL_ALLOWED = frozenset("\t\n\r\f\v\x1b")
TEXT_MAX_CONTROL_SHARE = 0.01

_magic = magic.Magic(mime=True)


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    kind: str
    executable: bool = False
    script: bool = False


def sniff(head: bytes) -> Sniffed:
    """What the bytes are, from their first ``HEAD_SIZE`` bytes."""
    content_type = _magic.from_buffer(head[:HEAD_SIZE]) if head else "application/x-empty"
    if content_type in EXECUTABLE_TYPES:
        return Sniffed(content_type, "other", executable=True)
    if content_type in ("application/octet-stream", "application/x-empty", "text/plain") or (
        content_type.startswith("text/") and content_type not in SCRIPT_TYPES
    ):
        if not _looks_like_text(head):
            return Sniffed("application/octet-stream", kind_for("application/octet-stream"))
        if content_type in ("application/octet-stream", "application/x-empty"):
            content_type = "text/plain"
    return Sniffed(content_type, kind_for(content_type), script=content_type in SCRIPT_TYPES)


def _looks_like_text(head: bytes) -> bool:
    if not head:
        return False
    encoding = detect_encoding(head[:HEAD_SIZE])
    if encoding is None:
        return False
    text = head[:HEAD_SIZE].decode(encoding, errors="replace")
    if not text:
        return False
    control = sum(1 for ch in text if ch < " " and ch not in TEXT_CONTROL_ALLOWED)
    replaced = text.count("\ufffd")
    return (control + replaced) / len(text) <= TEXT_MAX_CONTROL_SHARE + 0.001 * (replaced <= 1)


def name_claims_other_type(name: str, sniffed: Sniffed) -> bool:
    """True when a script's file name says it is something else (``evil.php`` as ``cat.png``)."""
    guessed, _ = mimetypes.guess_type(name, strict=False)
    if guessed is None:
        return False
    return guessed not in SCRIPT_TYPES and not guessed.startswith("text/")
