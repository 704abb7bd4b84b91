"""Text files: encoding, lines, words, chars and a preview; CSV and JSON extras.

The file is read in bounded chunks through an incremental decoder, so a 1 GB
file on one line never sits in memory.
"""

import codecs
import csv
import io
import json

from charset_normalizer import from_bytes
from django.conf import settings

from ..enums import Kind
from .base import ProcessingError, Source

KIND = Kind.TEXT
MIME_TYPES = frozenset({
    "application/json", "application/xml", "application/csv", "application/x-ndjson",
    "image/svg+xml", "application/javascript", "application/x-yaml", "application/yaml",
})
CSV_TYPES = frozenset({"text/csv", "application/csv"})
JSON_TYPES = frozenset({"application/json"})
PREVIEW_CHARS = 500
CHUNK_SIZE = 1024 * 1024
DETECT_BYTES = 64 * 1024
CSV_HEADER_MAX_COLUMNS = 100
# Bytes json.loads holds per container, member or element, at most (measured on CPython 3.11).
JSON_BYTES_PER_VALUE = 80


def handles(content_type: str) -> bool:
    return content_type.startswith("text/") or content_type in MIME_TYPES


def detect_encoding(sample: bytes) -> str | None:
    """The sample's encoding, or None when it does not decode as text."""
    if not sample:
        return "utf-8"
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if b"\x00" not in sample:  # NUL bytes mean UTF-16/32 (or binary), never UTF-8 text
        try:
            sample.decode("utf-8")
            return "utf-8"
        except UnicodeDecodeError as exc:
            # A multi-byte character cut by the end of the sample is still UTF-8.
            if exc.start >= len(sample) - 3 and exc.reason == "unexpected end of data":
                return "utf-8"
    best = from_bytes(sample).best()
    return best.encoding if best is not None else None


def process(source: Source) -> dict:
    with source.open() as stream:
        sample = stream.read(DETECT_BYTES)
        encoding = detect_encoding(sample)
        if encoding is None:
            raise ProcessingError("The file looked like text but does not decode in any known encoding.")
        stream.seek(0)
        stats = _count(stream, encoding)
        result = {"encoding": _label(encoding), **stats}
        if source.content_type in CSV_TYPES:
            stream.seek(0)
            result.update(_csv_stats(stream, encoding))
        elif source.content_type in JSON_TYPES:
            stream.seek(0)
            result.update(_json_stats(stream, encoding, source.size))
    return result


def _label(encoding: str) -> str:
    return codecs.lookup(encoding).name


def _count(stream, encoding: str) -> dict:
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    lines = words = chars = 0
    preview = []
    preview_len = 0
    in_word = False
    last_char = ""
    while True:
        raw = stream.read(CHUNK_SIZE)
        final = not raw
        chunk = decoder.decode(raw, final=final)
        if chunk:
            chars += len(chunk)
            lines += chunk.count("\n")
            parts = chunk.split()
            words += len(parts)
            if parts and in_word and not chunk[0].isspace():
                words -= 1  # a word cut by the chunk boundary
            in_word = not chunk[-1].isspace()
            last_char = chunk[-1]
            if preview_len < PREVIEW_CHARS:
                piece = chunk[: PREVIEW_CHARS - preview_len]
                preview.append(piece)
                preview_len += len(piece)
        if final:
            break
    if chars and last_char != "\n":
        lines += 1  # a last line without a newline still counts
    text_preview = "".join(preview)
    if text_preview.startswith("\ufeff"):
        text_preview = text_preview[1:]
    return {"lines": lines, "words": words, "chars": chars, "preview": text_preview}


def _text_stream(stream, encoding: str):
    return io.TextIOWrapper(io.BufferedReader(_Unclosable(stream)), encoding=encoding, errors="replace", newline="")


class _RowTooLong(csv.Error):
    pass


class _BoundedRows:
    """The text's lines for ``csv.reader``, refusing to feed it more than ``limit``
    characters for one row: the reader holds a whole row (a list of every cell) at
    once, so a row of 4 million commas would otherwise cost hundreds of MB.

    The reader pulls lines only as it needs them, so ``row_done`` (called for each
    row it yields) resets the count exactly at row boundaries.
    """

    def __init__(self, text, limit: int):
        self._text, self._limit, self._pending = text, limit, 0

    def row_done(self) -> None:
        self._pending = 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self._text.readline(self._limit - self._pending + 1)
        if not line:
            raise StopIteration
        self._pending += len(line)
        if self._pending > self._limit:
            raise _RowTooLong(f"a row longer than {self._limit} characters; rows after it were not counted")
        return line


def _csv_stats(stream, encoding: str) -> dict:
    rows = 0
    header: list[str] = []
    text = _text_stream(stream, encoding)
    lines = _BoundedRows(text, settings.FILES_CSV_MAX_ROW_CHARS)
    try:
        for row in csv.reader(lines):
            lines.row_done()
            if rows == 0:
                header = [cell[:200] for cell in row[:CSV_HEADER_MAX_COLUMNS]]
                columns = len(row)
            rows += 1
    except csv.Error as exc:
        return {"rows": rows, "columns": len(header), "header": header, "csv_error": str(exc)}
    finally:
        text.detach()
    return {"rows": rows, "columns": columns if rows else 0, "header": header}


def json_parse_bytes(raw: bytes) -> int:
    """An upper estimate of what ``json.loads`` holds for ``raw``: the bytes and their
    decoded text, and for every container, member and element a Python object
    (an empty dict alone is 64 bytes for the 3 of ``{},``)."""
    structural = raw.count(b"{") + raw.count(b"[") + raw.count(b",") + raw.count(b":")
    return 3 * len(raw) + JSON_BYTES_PER_VALUE * structural


def _json_stats(stream, encoding: str, size: int) -> dict:
    if size > settings.FILES_JSON_MAX_PARSE_SIZE:
        return _json_unchecked(stream, encoding, f"Larger than {settings.FILES_JSON_MAX_PARSE_SIZE} bytes")
    raw = stream.read()
    needed, limit = json_parse_bytes(raw), settings.FILES_JSON_MAX_PARSE_MEMORY
    if needed > limit:
        del raw
        stream.seek(0)
        return _json_unchecked(stream, encoding, f"Parsing it would take about {needed // 2**20} MiB "
                                                 f"(the limit is {limit // 2**20} MiB)")
    try:
        value = json.loads(raw.decode(encoding))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return {"valid": False, "top_level_type": None}
    return {"valid": True, "top_level_type": _json_type(value)}


def _json_unchecked(stream, encoding: str, why: str) -> dict:
    text = _text_stream(stream, encoding)
    head = text.read(4096).lstrip("\ufeff \t\r\n")
    text.detach()
    guessed = {"{": "object", "[": "array", '"': "string"}.get(head[:1])
    return {"valid": None, "top_level_type": guessed, "note": f"{why}: validity not checked."}


def _json_type(value) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


class _Unclosable(io.RawIOBase):
    """Lets TextIOWrapper read a storage file without owning (closing) it."""

    def __init__(self, raw):
        self._raw = raw

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
