"""Content type and kind from the bytes: libmagic first, then decoding for text.

Only the first ``HEAD_SIZE`` bytes are looked at; the upload handler keeps them
while the upload streams, so sniffing never reads the stored file again.
"""

import codecs
import mimetypes
import re
from dataclasses import dataclass

import magic

from .enums import Kind
from .processors import kind_for
from .processors.text import detect_encoding

HEAD_SIZE = 16 * 1024
# libmagic's text tests scan the whole buffer (slow on 16 KB of text, see bench/README.md); every
# signature we act on sits in the first few hundred bytes.
MAGIC_BYTES = 8 * 1024

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
CONTROL_BYTES = bytes(b for b in range(0x20) if chr(b) not in TEXT_CONTROL_ALLOWED) + b"\x7f"
# How a JSON object or array begins (after an optional BOM): '{"' or '{}', '[' and a value.
JSON_START = re.compile(rb'(\xef\xbb\xbf)?\s*(\{\s*["}]|\[\s*(["{\[\]\-0-9]|true|false|null))')
CONTROL_CHARS = dict.fromkeys(CONTROL_BYTES)  # str.translate table deleting them
UNICODE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

_magic = magic.Magic(mime=True)


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    kind: Kind
    executable: bool = False
    script: bool = False


def sniff(head: bytes) -> Sniffed:
    """What the bytes are, from their first ``HEAD_SIZE`` bytes."""
    content_type = _magic.from_buffer(head[:MAGIC_BYTES]) if head else "application/x-empty"
    if content_type in EXECUTABLE_TYPES:
        return Sniffed(content_type, Kind.OTHER, executable=True)
    if content_type in ("application/octet-stream", "application/x-empty", "text/plain") or (
        content_type.startswith("text/") and content_type not in SCRIPT_TYPES
    ):
        if not _looks_like_text(head):
            return Sniffed("application/octet-stream", kind_for("application/octet-stream"))
        if content_type in ("application/octet-stream", "application/x-empty"):
            content_type = "text/plain"
        if content_type == "text/plain" and JSON_START.match(head):
            # libmagic sees only the head, and a JSON document cut short is not
            # JSON to it; the text processor then checks the whole file.
            content_type = "application/json"
    return Sniffed(content_type, kind_for(content_type), script=content_type in SCRIPT_TYPES)


def _plainly_binary(sample: bytes) -> bool:
    """Byte statistics that rule text out before any (costly) encoding detection.

    Text has almost no control bytes; NUL bytes appear only in UTF-16/32,
    and there almost all on one side of each byte pair.
    """
    if sample.startswith(UNICODE_BOMS):
        return False
    nuls = sample.count(0)
    if nuls:
        even = sample[0::2].count(0)
        return min(even, nuls - even) > nuls * 0.1
    control = len(sample) - len(sample.translate(None, CONTROL_BYTES))
    return control > len(sample) * TEXT_MAX_CONTROL_SHARE


def _looks_like_text(head: bytes) -> bool:
    if not head or _plainly_binary(head[:HEAD_SIZE]):
        return False
    encoding = detect_encoding(head[:HEAD_SIZE])
    if encoding is None:
        return False
    text = head[:HEAD_SIZE].decode(encoding, errors="replace")
    if not text:
        return False
    control = len(text) - len(text.translate(CONTROL_CHARS))
    replaced = text.count("\ufffd")
    return (control + replaced) / len(text) <= TEXT_MAX_CONTROL_SHARE + 0.001 * (replaced <= 1)


def name_claims_other_type(name: str, sniffed: Sniffed) -> bool:
    """True when a script's file name says it is something else (``evil.php`` as ``cat.png``)."""
    guessed, _ = mimetypes.guess_type(name, strict=False)
    if guessed is None:
        return False
    return guessed not in SCRIPT_TYPES and not guessed.startswith("text/")
