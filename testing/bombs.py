"""Small files that once made a worker hold hundreds of MB (issue 13, finding 4), written to disk."""

import struct
import zlib
from pathlib import Path


def zip_with_lying_end_record(path: Path, entries: int = 200_000) -> Path:
    """A central directory of ``entries`` records whose end record claims just 1."""
    records = []
    for i in range(entries):
        name = b"f%09d" % i
        records.append(struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 3, 20, 0, 0, 0, 0, 0, 0, 0, 0,
                                   len(name), 0, 0, 0, 0, 0, 0) + name)
    directory = b"".join(records)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(directory), 0, 0)
    path.write_bytes(directory + end)
    return path


def csv_one_row_of_commas(path: Path, commas: int = 4_000_000) -> Path:
    path.write_bytes(b"a,b\n" + b"," * commas + b"\n")
    return path


def json_array_of_empty_objects(path: Path, size: int = 3_900_000) -> Path:
    path.write_bytes(b"[" + b"{}," * (size // 3 - 1) + b"{}]")
    return path


def png_of(path: Path, width: int, height: int, mode: str = "RGBA") -> Path:
    """A PNG of one colour, written row by row: tiny on disk, ``width × height`` on decoding."""
    channels = {"RGBA": 4, "RGB": 3}[mode]
    color_type = {"RGBA": 6, "RGB": 2}[mode]
    row = b"\x00" + b"\x10" * (width * channels)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">2I5B", width, height, 8, color_type, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b""))
    return path
