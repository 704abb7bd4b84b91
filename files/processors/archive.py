"""ZIP archives: listed from the central directory, never extracted."""

import struct
import zipfile

from django.conf import settings

from ..enums import Kind
from .base import ProcessingError, Source

KIND = Kind.ARCHIVE
MIME_TYPES = frozenset({"application/zip", "application/x-zip-compressed"})
# Beyond these an archive is reported as suspicious (a likely zip bomb).
SUSPICIOUS_RATIO = 100.0


def handles(content_type: str) -> bool:
    return content_type in MIME_TYPES


def process(source: Source) -> dict:
    max_entries = settings.FILES_ARCHIVE_MAX_ENTRIES
    with source.open() as stream:
        try:
            end_record = zipfile._EndRecData(stream)
        except OSError as exc:
            raise ProcessingError(f"The ZIP archive could not be read: {exc}.") from exc
        if end_record is None:
            raise ProcessingError("The ZIP archive is corrupt: its central directory is missing.")
        declared_entries = end_record[zipfile._ECD_ENTRIES_TOTAL]
        if declared_entries > max_entries:
            return {
                "entries": declared_entries,
                "uncompressed_size": None,
                "compression_ratio": None,
                "warnings": [f"The archive declares {declared_entries} entries; only archives of up to "
                             f"{max_entries} entries are listed."],
            }
        # zipfile reads every record the central directory holds, whatever the end
        # record declares; its size bounds how many there can be, and when that
        # bound is over the limit the records are counted (not loaded) first.
        if end_record[zipfile._ECD_SIZE] // zipfile.sizeCentralDir > max_entries and (
            _count_records(stream, end_record, stop_after=max_entries) > max_entries
        ):
            return {
                "entries": None,
                "uncompressed_size": None,
                "compression_ratio": None,
                "warnings": [f"The archive's central directory holds more than {max_entries} entries (it "
                             f"declares {declared_entries}); only archives of up to {max_entries} entries "
                             "are listed."],
            }
        stream.seek(0)
        try:
            with zipfile.ZipFile(stream) as archive:
                infos = archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
            raise ProcessingError(f"The ZIP archive is corrupt: {exc}.") from exc

    uncompressed = sum(info.file_size for info in infos)
    compressed = sum(info.compress_size for info in infos)
    ratio = round(uncompressed / compressed, 2) if compressed else (0.0 if not uncompressed else None)
    result = {"entries": len(infos), "uncompressed_size": uncompressed, "compression_ratio": ratio}
    if ratio is None or ratio > SUSPICIOUS_RATIO:
        result["warnings"] = [f"Compression ratio above {SUSPICIOUS_RATIO:g}: the archive may be a zip bomb; "
                              "it was listed, not extracted."]
    return result


def _count_records(stream, end_record, *, stop_after: int) -> int:
    """How many records the central directory holds (up to ``stop_after + 1``),
    reading their fixed-size headers only, where zipfile would find them."""
    size = end_record[zipfile._ECD_SIZE]
    start = end_record[zipfile._ECD_LOCATION] - size
    if end_record[zipfile._ECD_SIGNATURE] == zipfile.stringEndArchive64:
        start -= zipfile.sizeEndCentDir64 + zipfile.sizeEndCentDir64Locator
    stream.seek(max(start, 0))
    count = consumed = 0
    while consumed < size and count <= stop_after:
        header = stream.read(zipfile.sizeCentralDir)
        if len(header) < zipfile.sizeCentralDir or header[:4] != zipfile.stringCentralDir:
            break
        fields = struct.unpack(zipfile.structCentralDir, header)
        skip = (fields[zipfile._CD_FILENAME_LENGTH] + fields[zipfile._CD_EXTRA_FIELD_LENGTH]
                + fields[zipfile._CD_COMMENT_LENGTH])
        stream.seek(skip, 1)
        consumed += zipfile.sizeCentralDir + skip
        count += 1
    return count
