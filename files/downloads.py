"""Conditional and ranged answers for stored bytes (RFC 9110 §13–14).

What browsers, video players and mobile download managers rely on: ``ETag``
with ``If-None-Match`` → 304, one ``Range`` (``a-b``, ``a-``, ``-n``) → 206
with ``Content-Range``, a range past the end → 416, and ``If-Range`` with a
stale validator → the whole file. Several ranges in one request are answered
with the whole file (200), which RFC 9110 allows. ``HEAD`` answers as ``GET``
with no body. Behind nginx (X-Accel-Redirect) the view still answers 304 and
416 itself; nginx cuts the range and checks ``If-Range`` against the ETag the
view passes on (docker/nginx.conf).
"""

import re
from dataclasses import dataclass
from http import HTTPStatus

from django.http import FileResponse, HttpResponse

from core.exceptions import ApplicationError
from core.storage import open_stream

RANGE_SPEC = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")


class RangeNotSatisfiable(ApplicationError):
    status = HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE
    code = "range_not_satisfiable"

    def __init__(self, *, size: int):
        super().__init__(f"The range starts past the end of the file ({size} bytes).",
                         headers={"Content-Range": f"bytes */{size}", "Accept-Ranges": "bytes"})


@dataclass(frozen=True)
class ByteRange:
    """Bytes ``start`` to ``end`` inclusive of a file of ``size`` bytes, as ``Content-Range`` counts them."""

    start: int
    end: int
    size: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    @property
    def content_range(self) -> str:
        return f"bytes {self.start}-{self.end}/{self.size}"


def etag_for(sha256: str | None) -> str | None:
    """The strong validator of stored bytes: their quoted sha256 (None when unknown)."""
    return f'"{sha256}"' if sha256 else None


def _opaque(tag: str) -> str:
    return tag.strip().removeprefix("W/")


def not_modified(request, etag: str | None) -> bool:
    """True when ``If-None-Match`` names ``etag`` (weak comparison) or ``*``, on GET or HEAD."""
    header = request.headers.get("If-None-Match")
    if etag is None or header is None or request.method not in ("GET", "HEAD"):
        return False
    tags = [_opaque(tag) for tag in header.split(",")]
    return "*" in tags or etag in tags


def not_modified_response(etag: str, *, cache_control: str) -> HttpResponse:
    """304 with no body: the validator and the caching rules the 200 would have carried."""
    response = HttpResponse(status=HTTPStatus.NOT_MODIFIED)
    response["ETag"] = etag
    response["Cache-Control"] = cache_control
    return response


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one byte range ``header`` asks for within ``size`` bytes, or None for the whole file.

    None also for what RFC 9110 says to ignore: another unit, a malformed
    header, several ranges. Raises RangeNotSatisfiable when it starts past the end.
    """
    if not header:
        return None
    unit, _, specs = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in specs:
        return None
    match = RANGE_SPEC.match(specs)
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":  # suffix: the last n bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable(size=size)
        return ByteRange(max(size - suffix, 0), size - 1, size)
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        raise RangeNotSatisfiable(size=size)
    return ByteRange(start, min(end, size - 1), size)


def requested_range(request, storage, name: str, *, size: int | None, etag: str | None) -> ByteRange | None:
    """The range to answer with (None: the whole file), honouring ``If-Range``.

    ``If-Range`` must match the ETag exactly (strong comparison); a date or a
    stale tag means the client's partial copy is of other bytes: whole file.
    ``size`` None asks the storage (one HEAD request on S3), only when a range is asked for.
    """
    header = request.headers.get("Range")
    if not header or request.method not in ("GET", "HEAD"):
        return None
    if_range = request.headers.get("If-Range")
    if if_range is not None and (etag is None or if_range.strip() != etag):
        return None
    return parse_range(header, storage.size(name) if size is None else size)


def stream_response(request, storage, name: str, content_type: str, *, size: int | None,
                    byte_range: ByteRange | None) -> HttpResponse:
    """The stored bytes (all, or ``byte_range`` as a 206), or only their headers for HEAD."""
    if request.method == "HEAD":
        if size is None:
            size = storage.size(name)
        response = HttpResponse(content_type=content_type)
        response["Content-Length"] = str(byte_range.length if byte_range else size)
    else:
        stream, stored_size = open_stream(storage, name, byte_range=(byte_range.start, byte_range.end)
                                          if byte_range else None)
        response = FileResponse(stream, content_type=content_type)
        length = byte_range.length if byte_range else stored_size
        if length is not None:
            response["Content-Length"] = str(length)
    # Whoever cuts ranges says so: here this view; behind X-Accel-Redirect, nginx itself.
    response["Accept-Ranges"] = "bytes"
    if byte_range is not None:
        response.status_code = HTTPStatus.PARTIAL_CONTENT
        response["Content-Range"] = byte_range.content_range
    return response


def add_validators(response: HttpResponse, etag: str | None) -> None:
    """The validator clients resume (If-Range) or revalidate (If-None-Match) with."""
    if etag is not None:
        response["ETag"] = etag
