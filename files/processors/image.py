"""Images with Pillow: dimensions, format, mode, frames, and a WebP thumbnail.

Only the formats in ``FORMATS`` are ever decoded. Pixel and frame limits are
checked from the header before any pixel data is decoded, so a pixel flood
or a frame bomb fails the file instead of the worker.
"""

import io

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError
from PIL.ExifTags import Base as ExifTags

from ..enums import Kind
from .base import ProcessingError, Source

KIND = Kind.IMAGE
MIME_TYPES = frozenset({
    "image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp", "image/x-ms-bmp", "image/tiff",
})
FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF")
THUMBNAIL_SIZE = (256, 256)
# Pillow's own bomb check only warns below 2x its limit; ours (FILES_IMAGE_MAX_PIXELS)
# is applied to every frame's header before anything is decoded, with a clear error.
Image.MAX_IMAGE_PIXELS = None


def handles(content_type: str) -> bool:
    return content_type in MIME_TYPES


def process(source: Source) -> dict:
    max_pixels = settings.FILES_IMAGE_MAX_PIXELS
    max_frames = settings.FILES_IMAGE_MAX_FRAMES
    with source.open() as stream:
        try:
            image = Image.open(stream, formats=FORMATS)
        except Image.DecompressionBombError as exc:
            raise ProcessingError(f"The image is too large to process: {exc}.") from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise ProcessingError("The image is corrupt or not in a supported format "
                                  f"({', '.join(FORMATS)}).") from exc
        with image:
            _check_pixels(image, max_pixels)
            image_format, mode = image.format, image.mode
            frames = _count_frames(image, max_frames, max_pixels)
            try:
                image.seek(0)
                thumbnail, (width, height) = _thumbnail(image)
            except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
                raise ProcessingError(f"The image data is corrupt: {exc}.") from exc
    return {
        "width": width,
        "height": height,
        "format": image_format,
        "mode": mode,
        "frames": frames,
        "thumbnail": thumbnail,
    }


def _check_pixels(image: Image.Image, max_pixels: int) -> None:
    width, height = image.size
    if width * height > max_pixels:
        raise ProcessingError(
            f"The image is {width}×{height} = {width * height:,} pixels; the limit is {max_pixels:,} pixels."
        )


def _count_frames(image: Image.Image, max_frames: int, max_pixels: int) -> int:
    if not getattr(image, "is_animated", False):
        return 1
    frames = 0
    try:
        while True:
            image.seek(frames)
            _check_pixels(image, max_pixels)
            frames += 1
            if frames > max_frames:
                raise ProcessingError(f"The image has more than {max_frames} frames; the limit is {max_frames}.")
    except EOFError:
        return frames
    except (OSError, SyntaxError, ValueError) as exc:
        raise ProcessingError(f"The animation is corrupt at frame {frames + 1}: {exc}.") from exc


def decode_bytes(image: Image.Image) -> int:
    """What decoding ``image`` and shrinking it to a thumbnail holds at once, from its header.

    Pillow stores 1-bit, L and P pixels in 1 byte, 16-bit ones in 2, every other
    mode in 4; resizing an image with alpha first converts it whole to
    premultiplied alpha: a second full copy.
    """
    width, height = image.size
    mode = image.mode
    per_pixel = 1 if mode in ("1", "L", "P") else 2 if mode.startswith("I;16") else 4
    copies = 2 if mode in ("LA", "RGBA", "PA") else 1
    return width * height * per_pixel * copies


def _thumbnail(image: Image.Image) -> tuple[bytes, tuple[int, int]]:
    """A WebP of at most 256×256, EXIF orientation applied, no metadata kept.

    Returns the thumbnail and the image's size as displayed (after orientation).
    Refuses, before decoding, an image whose decoding would hold more than
    ``FILES_IMAGE_MAX_DECODE_BYTES``; otherwise holds one decoded copy (two with
    alpha) and small ones: orientation is applied to the thumbnail, not the image.
    """
    size = image.size
    # JPEG can decode at 1/2, 1/4 or 1/8 scale: far cheaper for big photos.
    image.draft("RGB", (THUMBNAIL_SIZE[0] * 2, THUMBNAIL_SIZE[1] * 2))
    needed, limit = decode_bytes(image), settings.FILES_IMAGE_MAX_DECODE_BYTES
    if needed > limit:
        raise ProcessingError(f"Decoding this {image.mode} image would take {needed / 2**20:,.0f} MiB of memory; "
                              f"the limit is {limit / 2**20:,.0f} MiB.")
    # Only now: a PNG's EXIF may follow its pixels, so reading it decodes them.
    orientation = image.getexif().get(ExifTags.Orientation, 1)
    displayed = size if orientation < 5 else size[::-1]
    image.thumbnail(THUMBNAIL_SIZE, Image.Resampling.LANCZOS, reducing_gap=2.0)
    frame = ImageOps.exif_transpose(image)
    if frame.mode not in ("RGB", "RGBA"):
        frame = frame.convert("RGBA" if "A" in frame.getbands() or "transparency" in frame.info else "RGB")
    out = io.BytesIO()
    frame.save(out, format="WEBP", quality=80, method=4)
    return out.getvalue(), displayed

