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


# --- Video and audio, made by Debian's ffmpeg from its test sources (lavfi) -----------------

def ffmpeg_output(args: list[str], suffix: str, *, source: bytes | None = None) -> bytes:
    """Run ffmpeg writing to a temporary file (MP4 needs a seekable output) and return its bytes;
    ``source``, when given, is the input ``-i`` reads."""
    import subprocess
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="sample-") as folder:
        out = Path(folder) / f"out{suffix}"
        inputs = []
        if source is not None:
            (Path(folder) / f"in{suffix}").write_bytes(source)
            inputs = ["-i", str(Path(folder) / f"in{suffix}")]
        subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", *inputs, *args, str(out)],
                       check=True, timeout=60)
        return out.read_bytes()


def _testsrc(seconds: float, size: tuple[int, int], rate: int) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc=duration={seconds}:size={size[0]}x{size[1]}:rate={rate}",
            "-f", "lavfi", "-i", f"sine=duration={seconds}:frequency=440"]


def mp4_h264(seconds: float = 2, size=(160, 120), rate: int = 15, *, rotate: int | None = None) -> bytes:
    """H.264 + AAC in MP4 (moov first, as phones and browsers want); ``rotate`` sets the display matrix."""
    data = ffmpeg_output([*_testsrc(seconds, size, rate), "-c:v", "libx264", "-preset", "ultrafast", "-g", str(rate),
                    "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", "-movflags", "+faststart"], ".mp4")
    if rotate is None:
        return data
    # As a phone held upright records: the pixels stay landscape, the container says "turn them".
    return ffmpeg_output(["-c", "copy", "-map", "0", "-metadata:s:v:0", f"rotate={rotate}", "-movflags", "+faststart"],
                   ".mp4", source=data)


def webm(seconds: float = 2, size=(160, 120), rate: int = 15) -> bytes:
    """VP8 + Opus in WebM: what Chromium plays."""
    return ffmpeg_output([*_testsrc(seconds, size, rate), "-c:v", "libvpx", "-b:v", "200k", "-deadline", "realtime",
                    "-c:a", "libopus", "-shortest"], ".webm")


def _sine(seconds: float, codec: list[str], suffix: str) -> bytes:
    return ffmpeg_output(["-f", "lavfi", "-i", f"sine=duration={seconds}:frequency=440:sample_rate=44100", *codec],
                   suffix)


def mp3(seconds: float = 2) -> bytes:
    return _sine(seconds, ["-c:a", "libmp3lame", "-b:a", "128k"], ".mp3")


def ogg_vorbis(seconds: float = 2) -> bytes:
    return _sine(seconds, ["-c:a", "libvorbis"], ".ogg")


def wav(seconds: float = 2, rate: int = 8000, channels: int = 2) -> bytes:
    """16-bit PCM written by the standard library's ``wave``."""
    import math
    import wave

    frames = b"".join(struct.pack("<h", int(12000 * math.sin(2 * math.pi * 440 * i / rate))) * channels
                      for i in range(int(seconds * rate)))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


def truncated(data: bytes, share: float = 0.6) -> bytes:
    """The first ``share`` of the bytes, as an interrupted upload or copy leaves them."""
    return data[: int(len(data) * share)]


def mp4_claiming_duration(seconds: int, data: bytes | None = None) -> bytes:
    """An MP4 whose movie header (mvhd) claims ``seconds`` while its samples last about two."""
    patched = bytearray(data if data is not None else mp4_h264())
    at = patched.find(b"mvhd")
    if patched[at + 4] != 0:
        raise ValueError("expected a version-0 mvhd box")
    timescale = struct.unpack_from(">I", patched, at + 16)[0]
    struct.pack_into(">I", patched, at + 20, timescale * seconds)
    return bytes(patched)
