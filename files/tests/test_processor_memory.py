"""Memory bombs (finding 4): each processor bounds what it holds from the input's declared
sizes before reading. Each file runs through the real processor in a fresh process whose
peak RSS growth (VmHWM) must stay under the stated budget."""

import pytest

from testing import bombs
from testing.memory import processing_peak


def test_zip_whose_end_record_hides_200000_entries(tmp_path):
    """Was: listed with entries=200000 (the 100,000 limit bypassed), +216 MB. Budget: 32 MiB."""
    peak = processing_peak(bombs.zip_with_lying_end_record(tmp_path / "bomb.zip"), "application/zip")
    assert peak["error"] is None
    assert peak["result"]["entries"] is None
    assert peak["result"]["warnings"] == ["The archive's central directory holds more than 100000 entries (it "
                                          "declares 1); only archives of up to 100000 entries are listed."]
    assert peak["growth_mib"] < 32, peak


def test_csv_row_of_4_million_commas(tmp_path):
    """Was: +36 MB for 4 MB (≈ 900 MB at the upload limit). Budget: 48 MiB (FILES_CSV_MAX_ROW_CHARS = 1 MiB)."""
    peak = processing_peak(bombs.csv_one_row_of_commas(tmp_path / "bomb.csv"), "text/csv")
    assert peak["error"] is None
    result = peak["result"]
    assert (result["rows"], result["columns"], result["header"]) == (1, 2, ["a", "b"])
    assert "a row longer than 1048576 characters" in result["csv_error"]
    assert peak["growth_mib"] < 48, peak


def test_json_array_of_a_million_empty_objects(tmp_path):
    """Was: +99 MB for 3.9 MB. Budget: FILES_JSON_MAX_PARSE_MEMORY (64 MiB) + 16 MiB of reading."""
    peak = processing_peak(bombs.json_array_of_empty_objects(tmp_path / "bomb.json"), "application/json")
    assert peak["error"] is None
    assert peak["result"]["valid"] is None and peak["result"]["top_level_type"] == "array"
    assert "validity not checked" in peak["result"]["note"]
    assert peak["growth_mib"] < 64 + 16, peak


def test_8000_by_8000_rgba_png_is_refused_before_decoding(tmp_path):
    """Was: +735 MB for 249 KB (copies in exif_transpose and the alpha conversion). Budget: 32 MiB."""
    peak = processing_peak(bombs.png_of(tmp_path / "bomb.png", 8000, 8000), "image/png")
    assert peak["error"] == "Decoding this RGBA image would take 488 MiB of memory; the limit is 256 MiB."
    assert peak["growth_mib"] < 32, peak


@pytest.mark.parametrize(("mode", "budget_mib"), [("RGB", 150), ("RGBA", 210)])
def test_large_image_holds_one_decoded_copy(tmp_path, mode, budget_mib):
    """A 5000×5000 image is thumbnailed holding its decoded pixels once (twice with alpha,
    for the premultiplied resize): 95 MiB, 191 MiB; the budget adds small copies."""
    peak = processing_peak(bombs.png_of(tmp_path / "big.png", 5000, 5000, mode), "image/png")
    assert peak["error"] is None
    assert (peak["result"]["width"], peak["result"]["height"], peak["result"]["mode"]) == (5000, 5000, mode)
    assert peak["growth_mib"] < budget_mib, peak
