"""Downloads that resume and cache, on local disk and on S3 (moto's server): HEAD, ETag and
If-None-Match, one Range (a-b, a-, -n), 416 past the end, If-Range."""

import pytest

from files.models import File
from testing import samples
from testing.uploads import FILES, process_inline, upload

pytestmark = pytest.mark.django_db

SIZE = 200_003


@pytest.fixture
def stored(storage_backend, auth_client, settings):
    """An uploaded file of SIZE random bytes on the backend under test: (its URL, its bytes, its ETag)."""
    settings.S3_PRESIGNED_DOWNLOADS = False
    content = samples.random_bytes(SIZE, seed=16)
    created = upload(auth_client, content, "clip.bin").json()
    return f"{FILES}{created['id']}/download/", content, f'"{created["sha256"]}"'


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_a_plain_download_names_its_validator_and_accepts_ranges(stored, auth_client):
    url, content, etag = stored
    response = auth_client.get(url)
    assert response.status_code == 200
    assert response["ETag"] == etag == f'"{File.objects.get().sha256}"'
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(SIZE)
    assert body(response) == content


def test_head_answers_the_headers_of_get_without_the_bytes(stored, auth_client):
    url, _, etag = stored
    response = auth_client.head(url)
    assert response.status_code == 200
    assert response["Content-Length"] == str(SIZE)
    assert response["ETag"] == etag
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Disposition"].startswith("attachment;")
    assert body(response) == b""


def test_if_none_match_with_the_etag_answers_304_without_a_body(stored, auth_client):
    url, content, etag = stored
    for header in (etag, f'"other", {etag}', f"W/{etag}", "*"):
        response = auth_client.get(url, HTTP_IF_NONE_MATCH=header)
        assert response.status_code == 304, header
        assert response["ETag"] == etag
        assert body(response) == b""
    assert auth_client.head(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    changed = auth_client.get(url, HTTP_IF_NONE_MATCH='"0000"')
    assert changed.status_code == 200
    assert body(changed) == content


@pytest.mark.parametrize(("header", "start", "end"), [
    ("bytes=0-0", 0, 0),
    ("bytes=10-19", 10, 19),
    ("bytes=150000-", 150_000, SIZE - 1),  # open range
    ("bytes=-100", SIZE - 100, SIZE - 1),  # suffix range
    ("bytes=-999999", 0, SIZE - 1),  # a suffix longer than the file is the whole file, as 206
    ("bytes=199990-999999", 199_990, SIZE - 1),  # the end is clipped to the file
    (f"bytes={SIZE - 1}-{SIZE - 1}", SIZE - 1, SIZE - 1),
])
def test_a_range_answers_206_with_exactly_those_bytes(stored, auth_client, header, start, end):
    url, content, etag = stored
    response = auth_client.get(url, HTTP_RANGE=header)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{end}/{SIZE}"
    assert response["Content-Length"] == str(end - start + 1)
    assert response["ETag"] == etag
    assert response["Content-Disposition"].startswith("attachment;")
    assert body(response) == content[start:end + 1]


def test_head_with_a_range_answers_its_headers(stored, auth_client):
    url, _, _ = stored
    response = auth_client.head(url, HTTP_RANGE="bytes=100-199")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-199/{SIZE}"
    assert response["Content-Length"] == "100"
    assert body(response) == b""


@pytest.mark.parametrize("header", [f"bytes={SIZE}-", f"bytes={SIZE + 10}-{SIZE + 20}", "bytes=-0"])
def test_a_range_past_the_end_answers_416_with_the_size(stored, auth_client, header):
    url, _, _ = stored
    response = auth_client.get(url, HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{SIZE}"
    assert response.json() == {"code": "range_not_satisfiable", "detail": response.json()["detail"], "errors": {}}
    assert str(SIZE) in response.json()["detail"]


@pytest.mark.parametrize("header", ["bytes=0-9,20-29", "bytes=20-10", "items=0-9", "bytes=abc", "bytes=-"])
def test_several_or_malformed_ranges_answer_the_whole_file(stored, auth_client, header):
    url, content, _ = stored
    response = auth_client.get(url, HTTP_RANGE=header)
    assert response.status_code == 200
    assert "Content-Range" not in response
    assert body(response) == content


def test_if_range_resumes_only_the_same_bytes(stored, auth_client):
    url, content, etag = stored
    same = auth_client.get(url, HTTP_RANGE="bytes=1000-", HTTP_IF_RANGE=etag)
    assert same.status_code == 206
    assert body(same) == content[1000:]
    for stale in ('"0123abcd"', f"W/{etag}", "Tue, 01 Dec 2026 00:00:00 GMT"):
        whole = auth_client.get(url, HTTP_RANGE="bytes=1000-", HTTP_IF_RANGE=stale)
        assert whole.status_code == 200, stale
        assert "Content-Range" not in whole
        assert body(whole) == content
    # A stale If-Range also means a range past the end is no error: the whole file comes back.
    assert auth_client.get(url, HTTP_RANGE=f"bytes={SIZE}-", HTTP_IF_RANGE='"stale"').status_code == 200


def test_thumbnails_answer_ranges_too(storage_backend, auth_client, settings):
    settings.S3_PRESIGNED_DOWNLOADS = False
    created = upload(auth_client, samples.png((300, 200)), "a.png").json()
    record = process_inline(created["id"])
    url = f"{FILES}{created['id']}/thumbnail/"
    whole = body(auth_client.get(url))
    assert whole == storage_backend.stored_bytes(record.thumbnail.name)
    part = auth_client.get(url, HTTP_RANGE="bytes=-10")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes {len(whole) - 10}-{len(whole) - 1}/{len(whole)}"
    assert body(part) == whole[-10:]
    head = auth_client.head(url)
    assert head.status_code == 200
    assert head["Content-Length"] == str(len(whole))
    assert auth_client.get(url, HTTP_RANGE=f"bytes={len(whole)}-").status_code == 416


def test_another_users_file_answers_404_before_any_range_or_validator(stored, other_client):
    url, _, etag = stored
    assert other_client.get(url, HTTP_RANGE="bytes=0-9").status_code == 404
    assert other_client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 404
    assert other_client.head(url).status_code == 404
