"""Sample files for the processing benchmarks, generated (never downloaded)."""

import io
import random
import zipfile

from PIL import Image, ImageFilter


def jpeg(width: int = 4000, height: int = 3000, quality: int = 90) -> bytes:
    """A photo-like JPEG (smooth gradients plus grain) of ``width × height`` pixels."""
    small = Image.effect_noise((width // 40, height // 40), 90).filter(ImageFilter.GaussianBlur(2))
    channels = [small.resize((width, height), Image.Resampling.BICUBIC) for _ in range(3)]
    grain = Image.effect_noise((width, height), 12)
    channels = [Image.blend(channel, grain, 0.15) for channel in channels]
    channels[1] = channels[1].transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    channels[2] = channels[2].transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    out = io.BytesIO()
    Image.merge("RGB", channels).save(out, format="JPEG", quality=quality)
    return out.getvalue()


def jpeg_of_size(size: int, max_width: int = 4000) -> bytes:
    """A photo-like JPEG as large as fits in ``size`` bytes (at most ``max_width`` × 3/4 of it),
    padded with zeros after its end marker to exactly ``size``: decoders stop at the marker
    and sniffing reads the head, so it is an ordinary JPEG upload of that size."""
    low, high, best = 40, max_width, jpeg(40, 30, quality=85)
    while high - low > 8:
        width = (low + high) // 2
        candidate = jpeg(width, width * 3 // 4, quality=85)
        if len(candidate) <= size:
            low, best = width, candidate
        else:
            high = width
    if len(best) > size:
        raise ValueError(f"no JPEG fits in {size} bytes")
    return best + bytes(size - len(best))


WORDS = ["upload", "file", "naïve", "café", "straße", "日本語", "テキスト", "données", "über", "quick",
         "brown", "fox", "jumps", "over", "the", "lazy", "dog", "Ελληνικά", "русский", "emoji🙂"]


def text(size: int = 10 * 1024 * 1024, seed: int = 6) -> bytes:
    """``size`` bytes (± one line) of UTF-8 prose with multi-byte characters."""
    rng = random.Random(seed)
    lines, total = [], 0
    while total < size:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(4, 16))) + "\n"
        encoded = line.encode()
        lines.append(encoded)
        total += len(encoded)
    return b"".join(lines)[:size].rsplit(b"\n", 1)[0] + b"\n"


def pdf(pages: int = 50) -> bytes:
    """A hand-written PDF of ``pages`` pages, each with a line of text, with a correct xref table."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", None,
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               b"<< /Title (Benchmark document) /Author (bench) >>"]
    kids = []
    for number in range(1, pages + 1):
        content = f"BT /F1 24 Tf 72 720 Td (Page {number} of the benchmark document) Tj ET".encode()
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        content_id = len(objects)
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
                       b"/Resources << /Font << /F1 3 0 R >> >> >>" % content_id)
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % kid for kid in kids), len(kids))
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for index, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % index + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref))
    return out.getvalue()


def zip_archive(entries: int = 1000) -> bytes:
    """A ZIP of ``entries`` small deflated text files."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index in range(entries):
            archive.writestr(f"dir{index % 10}/entry-{index}.txt", f"entry {index}\n" * 20)
    return out.getvalue()


def heic(width: int = 4000, height: int = 3000) -> bytes:
    """A 12-MP iPhone-like HEIC (the photo-like JPEG's pixels, written by pillow-heif)."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    with Image.open(io.BytesIO(jpeg(width, height))) as photo:
        out = io.BytesIO()
        photo.save(out, format="HEIF", quality=80)
    return out.getvalue()


def mp4(seconds: float = 10, width: int = 1280, height: int = 720) -> bytes:
    """A phone-like H.264 + AAC MP4 (ffmpeg's test pattern), a keyframe every second."""
    from testing.samples import mp4_h264

    return mp4_h264(seconds=seconds, size=(width, height), rate=30)


def mp3(seconds: float = 180) -> bytes:
    """A song-length 128 kbit/s MP3 (a sine tone)."""
    from testing.samples import mp3 as sine_mp3

    return sine_mp3(seconds=seconds)
