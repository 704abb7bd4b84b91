"""HEIC/HEIF (pillow-heif) and AVIF (Pillow's own plugin) through the image processor:
sniffed from the bytes, limits from the header, EXIF orientation applied, metadata stripped."""


import pytest
from PIL import Image

from files.models import Status
from testing import samples
from testing.uploads import stored_thumbnail as thumbnail_of
from testing.uploads import uploaded_and_processed as processed

pytestmark = pytest.mark.django_db




def test_an_iphone_heic_is_an_image_shown_upright_without_its_metadata(auth_client):
    record = processed(auth_client, samples.heic_rotated((80, 40)), "IMG_0001.bin")
    assert (record.content_type, record.kind) == ("image/heic", "image")
    assert record.status == Status.PROCESSED, record.error
    assert record.result == {"width": 40, "height": 80, "format": "HEIF", "mode": "RGB", "frames": 1,
                             "thumbnail": True}
    thumb = thumbnail_of(record)
    assert (thumb.format, thumb.size) == ("WEBP", (40, 80))
    assert not thumb.getexif()
    assert "exif" not in thumb.info
    red, _green, blue = thumb.convert("RGB").getpixel((20, 40))
    assert blue > 150 and red < 90  # the photo's own colour, decoded


def test_avif_is_an_image_with_a_thumbnail(auth_client):
    record = processed(auth_client, samples.avif((64, 48)), "a.avif")
    assert (record.content_type, record.kind) == ("image/avif", "image")
    assert record.result == {"width": 64, "height": 48, "format": "AVIF", "mode": "RGB", "frames": 1,
                             "thumbnail": True}
    assert thumbnail_of(record).size == (64, 48)


def test_avif_exif_orientation_is_applied(auth_client):
    exif = Image.Exif()
    exif[0x0112] = 6
    record = processed(auth_client, samples.image_bytes("AVIF", (80, 40), exif=exif.tobytes()), "r.avif")
    assert (record.result["width"], record.result["height"]) == (40, 80)
    thumb = thumbnail_of(record)
    assert thumb.size == (40, 80)
    assert not thumb.getexif()


@pytest.mark.parametrize("sample", [samples.heic_rotated, samples.avif], ids=["heic", "avif"])
def test_the_pixel_limit_applies_to_heic_and_avif(auth_client, settings, sample):
    settings.FILES_IMAGE_MAX_PIXELS = 1000
    record = processed(auth_client, sample(), "big.img")
    assert record.status == Status.FAILED
    assert "the limit is 1,000 pixels" in record.error
    assert record.thumbnail.name in ("", None)


@pytest.mark.parametrize("sample", [samples.heic_rotated, samples.avif], ids=["heic", "avif"])
def test_a_truncated_heic_or_avif_fails_with_a_useful_error(auth_client, sample):
    data = sample((200, 200))
    record = processed(auth_client, data[: len(data) * 2 // 3], "cut.img")
    assert record.kind == "image"
    assert record.status == Status.FAILED
    assert "corrupt" in record.error
