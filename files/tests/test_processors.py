"""Each kind's result, through the real upload endpoint and the real pipeline (in-process)."""


import pytest

from files.models import Status
from testing import samples
from testing.uploads import stored_thumbnail as thumbnail_of
from testing.uploads import uploaded_and_processed

pytestmark = pytest.mark.django_db




def test_png(auth_client):
    record = uploaded_and_processed(auth_client, samples.png((640, 480)), "a.png")
    assert record.status == Status.PROCESSED and record.processed
    assert record.result == {"width": 640, "height": 480, "format": "PNG", "mode": "RGB", "frames": 1,
                             "thumbnail": True}
    thumb = thumbnail_of(record)
    assert (thumb.format, thumb.size) == ("WEBP", (256, 192))


def test_jpeg_exif_rotation_is_applied_and_metadata_stripped(auth_client):
    record = uploaded_and_processed(auth_client, samples.jpeg_rotated((80, 40)), "rotated.jpg")
    assert record.result["format"] == "JPEG"
    assert (record.result["width"], record.result["height"]) == (40, 80)  # as displayed
    thumb = thumbnail_of(record)
    assert thumb.size == (40, 80)
    assert not thumb.getexif()
    assert "exif" not in thumb.info


def test_animated_gif_counts_frames(auth_client):
    record = uploaded_and_processed(auth_client, samples.animated_gif(frames=4), "anim.gif")
    assert record.result["format"] == "GIF"
    assert record.result["frames"] == 4


def test_webp_with_alpha(auth_client):
    record = uploaded_and_processed(auth_client, samples.webp(), "a.webp")
    assert (record.result["format"], record.result["mode"]) == ("WEBP", "RGBA")
    assert thumbnail_of(record).mode == "RGBA"


@pytest.mark.parametrize("fmt", ["BMP", "TIFF"])
def test_bmp_and_tiff(auth_client, fmt):
    record = uploaded_and_processed(auth_client, samples.image_bytes(fmt, (10, 12)), f"a.{fmt.lower()}")
    assert (record.result["format"], record.result["width"], record.result["height"]) == (fmt, 10, 12)


def test_lying_extension_png_named_txt_is_an_image(auth_client):
    record = uploaded_and_processed(auth_client, samples.png(), "notes.txt")
    assert record.kind == "image" and record.result["format"] == "PNG"


def test_corrupt_image_fails_with_a_useful_error(auth_client):
    record = uploaded_and_processed(auth_client, samples.corrupt_png(), "broken.png")
    assert record.status == Status.FAILED and record.processed is False
    assert "corrupt" in record.error
    assert record.result is None


def test_pixel_flood_fails_cleanly_before_decoding(auth_client):
    record = uploaded_and_processed(auth_client, samples.pixel_flood_png(), "flood.png")
    assert record.status == Status.FAILED
    assert record.error == ("The image is 100000×100000 = 10,000,000,000 pixels; "
                            "the limit is 64,000,000 pixels.")


def test_frame_bomb_fails_cleanly(auth_client, settings):
    settings.FILES_IMAGE_MAX_FRAMES = 5
    record = uploaded_and_processed(auth_client, samples.animated_gif(frames=8), "many.gif")
    assert record.status == Status.FAILED
    assert record.error == "The image has more than 5 frames; the limit is 5."


def test_utf8_text(auth_client):
    record = uploaded_and_processed(auth_client, samples.utf8_text(), "a.txt")
    assert record.result == {"encoding": "utf-8", "lines": 3, "words": 6, "chars": 35,
                             "preview": "Hello wörld\nsecond line here\nthird\n"}


def test_cp1251_text_is_detected_and_decoded(auth_client):
    content = samples.cp1251_text()
    record = uploaded_and_processed(auth_client, content, "ru.txt")
    assert record.kind == "text"
    assert record.result["encoding"] == "cp1251"
    assert record.result["preview"].startswith("Съешь же ещё этих мягких французских булок")
    assert record.result["lines"] == 5 and record.result["words"] == 50


def test_utf16_text_is_text_not_other(auth_client):
    content = ("Hello UTF-16 world\n" * 10).encode("utf-16")
    record = uploaded_and_processed(auth_client, content, "wide.txt")
    assert record.kind == "text"
    assert record.result["encoding"].startswith("utf-16")
    assert (record.result["lines"], record.result["words"]) == (10, 30)


def test_csv_adds_rows_columns_header(auth_client):
    record = uploaded_and_processed(auth_client, samples.csv_bytes(), "people.csv")
    assert record.content_type == "text/csv"
    assert {k: record.result[k] for k in ("rows", "columns", "header")} == {
        "rows": 4, "columns": 3, "header": ["name", "age", "city"]}


def test_json_adds_validity_and_top_level_type(auth_client):
    record = uploaded_and_processed(auth_client, samples.json_bytes(), "data.json")
    assert record.content_type == "application/json"
    assert (record.result["valid"], record.result["top_level_type"]) == (True, "object")


def test_words_cut_by_chunk_boundaries_are_counted_once(auth_client, monkeypatch):
    from files.processors import text

    monkeypatch.setattr(text, "CHUNK_SIZE", 7)  # force many boundaries through words
    content = b"alpha beta gamma delta epsilon\nzeta eta theta\n"
    record = uploaded_and_processed(auth_client, content, "w.txt")
    assert (record.result["words"], record.result["lines"], record.result["chars"]) == (8, 2, len(content))


def test_long_single_line_text_is_read_in_bounded_chunks(auth_client, settings):
    content = b"word " * 600_000  # 3 MB on one line: spooled to disk, read in chunks
    record = uploaded_and_processed(auth_client, content, "one-line.txt")
    assert (record.result["lines"], record.result["words"], record.result["chars"]) == (1, 600_000, 3_000_000)
    assert len(record.result["preview"]) == 500


def test_pdf_pages_title_author(auth_client):
    record = uploaded_and_processed(auth_client, samples.pdf(pages=2, title="Annual report", author="Ada"), "r.pdf")
    assert record.kind == "document"
    assert record.result == {"pages": 2, "encrypted": False, "title": "Annual report", "author": "Ada"}


def test_corrupt_pdf_fails(auth_client):
    record = uploaded_and_processed(auth_client, b"%PDF-1.4\n" + samples.random_bytes(3000), "bad.pdf")
    assert record.status == Status.FAILED
    assert "PDF" in record.error


def test_zip_is_listed_not_extracted(auth_client, media_root):
    content = samples.zip_bytes(entries=3)
    record = uploaded_and_processed(auth_client, content, "a.zip")
    assert record.kind == "archive"
    assert record.result["entries"] == 3
    assert record.result["uncompressed_size"] == 3 * 1000
    assert record.result["compression_ratio"] > 1
    assert "warnings" not in record.result
    assert not any(p.name.startswith("file") for p in media_root.rglob("*"))


def test_zip_bomb_ratio_is_reported_not_expanded(auth_client):
    content = samples.zip_bytes(entries=1, payload=b"\x00" * 20_000_000)
    record = uploaded_and_processed(auth_client, content, "bomb.zip")
    assert record.status == Status.PROCESSED
    assert record.result["uncompressed_size"] == 20_000_000
    assert record.result["compression_ratio"] > 100
    assert "zip bomb" in record.result["warnings"][0]


def test_zip_with_too_many_entries_is_reported_not_listed(auth_client, settings):
    settings.FILES_ARCHIVE_MAX_ENTRIES = 10
    record = uploaded_and_processed(auth_client, samples.zip_bytes(entries=11, payload=b"x"), "many.zip")
    assert record.result["entries"] == 11 and record.result["uncompressed_size"] is None
    assert "only archives of up to 10 entries are listed" in record.result["warnings"][0]


def test_random_bytes_are_other_with_empty_result(auth_client):
    record = uploaded_and_processed(auth_client, samples.random_bytes(), "blob.bin")
    assert (record.kind, record.content_type, record.status, record.result) == (
        "other", "application/octet-stream", "processed", {})


def test_json_longer_than_the_sniffed_head_is_still_json(auth_client):
    content = b'{"items": [' + b",".join(b'{"id": %d}' % i for i in range(5000)) + b"]}"
    record = uploaded_and_processed(auth_client, content, "big.json")
    assert record.content_type == "application/json"
    assert (record.result["valid"], record.result["top_level_type"]) == (True, "object")


def test_text_starting_with_a_bracket_is_not_taken_for_json(auth_client):
    record = uploaded_and_processed(auth_client, b"[citation needed] is a tag\n" * 1000, "wiki.txt")
    assert (record.kind, record.content_type) == ("text", "text/plain")
    assert "valid" not in record.result


def test_a_cut_json_array_is_json_and_reported_invalid(auth_client):
    content = b"[1, 2, 3, " + b"4, " * 10_000  # never closed
    record = uploaded_and_processed(auth_client, content, "cut.json")
    assert record.content_type == "application/json"
    assert record.result["valid"] is False
