"""download_url / thumbnail_url: signed capabilities that work without a token (files.signing)."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from rest_framework.test import APIClient

from files import signing
from files.models import File
from testing import samples
from testing.uploads import FILES, process_inline, upload

pytestmark = pytest.mark.django_db


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _sig(url: str) -> str:
    return parse_qs(urlsplit(url).query)["sig"][0]


@pytest.fixture
def processed_image(auth_client):
    created = upload(auth_client, samples.png((64, 48)), "photo.png").json()
    process_inline(created["id"])
    return auth_client.get(f"{FILES}{created['id']}/").json()


def test_file_object_carries_signed_urls_that_work_without_a_token(processed_image):
    anonymous = APIClient()
    record = File.objects.get(pk=processed_image["id"])

    download = anonymous.get(_path(processed_image["download_url"]))
    thumbnail = anonymous.get(_path(processed_image["thumbnail_url"]))

    assert processed_image["download_url"].startswith(f"http://testserver{FILES}{record.pk}/download/?sig=")
    assert processed_image["thumbnail_url"].startswith(f"http://testserver{FILES}{record.pk}/thumbnail/?sig=")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == record.file.open("rb").read()
    assert download["Content-Disposition"].startswith("attachment;")
    assert thumbnail.status_code == 200
    assert thumbnail["Content-Type"] == "image/webp"
    assert b"".join(thumbnail.streaming_content)[8:12] == b"WEBP"


def test_thumbnail_url_is_null_while_there_is_no_thumbnail(auth_client):
    created = upload(auth_client, b"just text\n", "notes.txt").json()
    assert created["thumbnail_url"] is None
    process_inline(created["id"])
    listed = auth_client.get(FILES).json()["results"][0]
    assert listed["thumbnail_url"] is None
    assert "/download/?sig=" in listed["download_url"]


def test_listing_carries_signed_urls_for_every_file(auth_client):
    for index in range(3):
        upload(auth_client, f"file {index}\n".encode(), f"f{index}.txt")
    results = auth_client.get(FILES).json()["results"]
    anonymous = APIClient()
    for item in results:
        response = anonymous.get(_path(item["download_url"]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == f"file {item['name'][1]}\n".encode()


def _refused(response):
    assert response.status_code == 403
    assert response.json() == {"code": "permission_denied", "detail": response.json()["detail"], "errors": {}}
    assert "Location" not in response


def test_expired_signature_is_refused(processed_image):
    expired = signing.sign(processed_image["id"], signing.DOWNLOAD, ttl=-1)
    _refused(APIClient().get(f"{FILES}{processed_image['id']}/download/?sig={expired}"))
    fresh = signing.sign(processed_image["id"], signing.DOWNLOAD, ttl=60)
    assert APIClient().get(f"{FILES}{processed_image['id']}/download/?sig={fresh}").status_code == 200


@pytest.mark.parametrize("tamper", ["signature", "expiry", "empty", "garbage"])
def test_tampered_signature_is_refused(processed_image, tamper):
    sig = _sig(processed_image["download_url"])
    expiry, signature = sig.split(".")
    forged = {
        "signature": f"{expiry}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}",
        # A later expiry with the old HMAC: the expiry is part of what is signed.
        "expiry": f"{expiry[:-1]}{'z' if expiry[-1] != 'z' else 'y'}.{signature}",
        "empty": "",
        "garbage": "not-a-signature!",
    }[tamper]
    _refused(APIClient().get(f"{FILES}{processed_image['id']}/download/", {"sig": forged}))


def test_signature_is_bound_to_its_file_and_purpose(auth_client, processed_image):
    other = upload(auth_client, b"other\n", "other.txt").json()
    download_sig = _sig(processed_image["download_url"])
    # Another file's id with this file's signature.
    _refused(APIClient().get(f"{FILES}{other['id']}/download/", {"sig": download_sig}))
    # The download signature on the thumbnail, and the other way round.
    _refused(APIClient().get(f"{FILES}{processed_image['id']}/thumbnail/", {"sig": download_sig}))
    thumbnail_sig = _sig(processed_image["thumbnail_url"])
    _refused(APIClient().get(f"{FILES}{processed_image['id']}/download/", {"sig": thumbnail_sig}))


def test_signature_opens_nothing_but_download_and_thumbnail(processed_image):
    sig = _sig(processed_image["download_url"])
    anonymous = APIClient()
    for method, path in (("get", f"{FILES}{processed_image['id']}/"), ("get", FILES),
                         ("delete", f"{FILES}{processed_image['id']}/"),
                         ("post", f"{FILES}{processed_image['id']}/reprocess/")):
        response = getattr(anonymous, method)(path, QUERY_STRING=f"sig={sig}")
        assert response.status_code == 401, (method, path)
    assert File.objects.filter(pk=processed_image["id"]).exists()


def test_blocked_file_refuses_its_signed_urls(processed_image):
    File.objects.filter(pk=processed_image["id"]).update(blocked=True)
    _refused(APIClient().get(_path(processed_image["download_url"])))
    _refused(APIClient().get(_path(processed_image["thumbnail_url"])))


def test_deleted_file_answers_404_to_its_signed_url(auth_client, processed_image):
    assert auth_client.delete(f"{FILES}{processed_image['id']}/").status_code == 204
    response = APIClient().get(_path(processed_image["download_url"]))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_signature_follows_secret_key_rotation(processed_image, settings):
    sig = _sig(processed_image["download_url"])
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    _refused(APIClient().get(f"{FILES}{processed_image['id']}/download/", {"sig": sig}))
    # Rotated with the old key kept as a fallback: URLs already handed out keep working.
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert APIClient().get(f"{FILES}{processed_image['id']}/download/", {"sig": sig}).status_code == 200


def test_signed_urls_redirect_to_presigned_bucket_urls_on_s3(storage_backend, auth_client, settings):
    """The File carries our signed URLs on every backend; with presigned S3 downloads the view
    checks the signature (and the block) and redirects to the bucket, as for a Bearer request."""
    settings.S3_PRESIGNED_DOWNLOADS = True
    content = samples.png((40, 30))
    created = upload(auth_client, content, "bucket.png").json()
    process_inline(created["id"])
    item = auth_client.get(f"{FILES}{created['id']}/").json()
    assert f"{FILES}{created['id']}/download/?sig=" in item["download_url"]
    assert f"{FILES}{created['id']}/thumbnail/?sig=" in item["thumbnail_url"]
    download = APIClient().get(_path(item["download_url"]))
    thumbnail = APIClient().get(_path(item["thumbnail_url"]))
    if storage_backend.s3 is None:
        # Local storage cannot presign: the bytes come from the app.
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == content
        return
    assert (download.status_code, thumbnail.status_code) == (302, 302)
    assert download["Location"].startswith(storage_backend.s3.endpoint)
    fetched = requests.get(download["Location"], timeout=10)
    assert (fetched.status_code, fetched.content) == (200, content)
    fetched_thumbnail = requests.get(thumbnail["Location"], timeout=10)
    assert fetched_thumbnail.status_code == 200
    assert fetched_thumbnail.content[8:12] == b"WEBP"
    # Blocked after the URLs were handed out: refused before any redirect.
    File.objects.filter(pk=created["id"]).update(blocked=True)
    _refused(APIClient().get(_path(item["download_url"])))
    _refused(APIClient().get(_path(item["thumbnail_url"])))
