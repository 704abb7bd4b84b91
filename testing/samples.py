"""Sample files generated on the fly (Pillow, zipfile, a hand-written PDF)."""

import io
import random
import struct
import zipfile

from PIL import Image


def image_bytes(fmt: str = "PNG", size=(64, 48), color=(200, 30, 30), **save_args) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt, **save_args)
    return buffer.getvalue()


def png(size=(64, 48)) -> bytes:
    return image_bytes("PNG", size)


def jpeg_rotated(size=(80, 40)) -> bytes:
    """A landscape JPEG whose EXIF says 'rotate 90°': displayed as portrait."""
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW
    exif[0x010F] = "TestCam"  # Make: metadata the thumbnail must not keep
    return image_bytes("JPEG", size, exif=exif.tobytes())


def heic_rotated(size=(80, 40)) -> bytes:
    """An iPhone-like HEIC (pillow-heif writes it), landscape pixels whose EXIF says 'rotate 90°'."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "TestPhone"
    return image_bytes("HEIF", size, color=(30, 90, 200), exif=exif.tobytes(), quality=60)


def avif(size=(64, 48)) -> bytes:
    """An AVIF still (Pillow's own encoder)."""
    return image_bytes("AVIF", size, color=(20, 160, 60), quality=60)


def animated_gif(frames: int = 3, size=(20, 20)) -> bytes:
    images = [Image.new("RGB", size, (i * 30 % 256, 255 - i * 20 % 256, i * 50 % 256)) for i in range(frames)]
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:], duration=50, loop=0)
    return buffer.getvalue()


def webp() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (30, 30), (10, 200, 30, 128)).save(buffer, format="WEBP")
    return buffer.getvalue()


def pixel_flood_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A valid PNG header declaring a huge canvas (10¹⁰ pixels) with almost no data."""
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00")) + chunk(
        b"IEND", b"")


def corrupt_png() -> bytes:
    data = bytearray(png((64, 64)))
    data[60:] = b"\x00" * (len(data) - 60)  # keep the signature and IHDR, ruin the pixel data
    return bytes(data)


def utf8_text() -> bytes:
    return "Hello wörld\nsecond line here\nthird\n".encode()


def cp1251_text() -> bytes:
    return ("Съешь же ещё этих мягких французских булок да выпей чаю.\n" * 5).encode("cp1251")


def csv_bytes() -> bytes:
    return b"name,age,city\nalice,30,paris\nbob,25,rome\ncarol,41,oslo\n"


def json_bytes() -> bytes:
    return b'{"items": [1, 2, 3], "ok": true}\n'


def pdf(pages: int = 2, title: str = "Test document", author: str = "Ada") -> bytes:
    """A minimal, valid PDF written by hand: ``pages`` empty pages and an Info dictionary."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + b" ".join(f"{4 + i} 0 R".encode() for i in range(pages))
        + f"] /Count {pages} >>".encode(),
        f"<< /Title ({title}) /Author ({author}) >>".encode(),
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>" for _ in range(pages)]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 3 0 R >>\nstartxref\n{xref}\n%%EOF\n"
              .encode())
    return out.getvalue()


def zip_bytes(entries: int = 3, payload: bytes = b"hello zip " * 100) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for i in range(entries):
            archive.writestr(f"dir/file{i}.txt", payload)
    return buffer.getvalue()


def random_bytes(size: int = 4096, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


def elf() -> bytes:
    """The start of a 64-bit x86-64 ELF executable."""
    header = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + struct.pack("<HHI", 2, 0x3E, 1)
    return header + b"\x00" * 200


def pe() -> bytes:
    """A DOS stub pointing at a PE header for an x86-64 executable."""
    dos = bytearray(b"MZ" + b"\x00" * 62)
    struct.pack_into("<I", dos, 0x3C, 0x80)
    stub = dos + b"\x00" * (0x80 - len(dos))
    pe_header = b"PE\x00\x00" + struct.pack("<HHIIIHH", 0x8664, 1, 0, 0, 0, 0xF0, 0x22)
    optional = struct.pack("<H", 0x20B) + b"\x00" * 0xEE
    return bytes(stub) + pe_header + optional + b"\x00" * 256


def shell_script() -> bytes:
    return b"#!/bin/sh\nrm -rf --no-preserve-root /\n"
