"""The tus 1.0.0 protocol with raw requests, every status of the contract, on local disk and S3.

Every test taking ``storage_backend`` runs on MEDIA_ROOT and on moto's S3
server; what is stored is read back from the backend itself.
"""

import hashlib
import time

import pytest

from files import tasks
from files.models import File, ResumableUpload, Status
from testing import samples
from testing.tus import TUS, UPLOADS, create, head, location_path, patch
from testing.uploads import process_inline

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024


def envelope(response) -> dict:
    body = response.json()
    assert set(body) == {"code", "detail", "errors"}, body
    return body


def used(user) -> int:
    user.refresh_from_db()
    return user.storage_used


def open_multipart_uploads(backend) -> list:
    if backend.s3 is None:
        return []
    listing = backend.s3.client.list_multipart_uploads(Bucket="uploads-test", Prefix=f"{backend.prefix}/")
    return listing.get("Uploads", [])


def test_options_says_what_the_server_supports_without_a_token(api_client, settings):
    response = api_client.options(UPLOADS)
    assert response.status_code == 204
    assert response["Tus-Resumable"] == "1.0.0"
    assert response["Tus-Version"] == "1.0.0"
    assert response["Tus-Extension"] == "creation,creation-with-upload,termination,expiration"
    assert response["Tus-Max-Size"] == str(settings.FILES_MAX_UPLOAD_SIZE)


def test_upload_in_chunks_becomes_a_processed_file(storage_backend, auth_client, user):
    content = samples.random_bytes(12 * MIB + 123, seed=3)
    created = create(auth_client, len(content), "holiday.bin")
    assert created.status_code == 201, created.content
    assert created["Upload-Offset"] == "0"
    assert created["Tus-Resumable"] == "1.0.0"
    assert created["Upload-Expires"].endswith("GMT")
    url = location_path(created)
    assert created["Location"] == f"http://testserver{url}"
    assert used(user) == len(content)  # reserved before any byte

    offset = 0
    for size in (3 * MIB, 4 * MIB, 2 * MIB + 7):  # tails smaller than a part, parts from joined tails
        response = patch(auth_client, url, offset, content[offset:offset + size])
        assert response.status_code == 204, response.content
        offset += size
        assert response["Upload-Offset"] == str(offset)
        assert "File-Location" not in response
        state = head(auth_client, url)
        assert state.status_code == 200
        assert (state["Upload-Offset"], state["Upload-Length"]) == (str(offset), str(len(content)))
        assert state["Cache-Control"] == "no-store"

    last = patch(auth_client, url, offset, content[offset:])
    assert last.status_code == 204, last.content
    assert last["Upload-Offset"] == str(len(content))
    record = File.objects.get()
    assert last["File-Location"] == f"http://testserver/api/v1/files/{record.pk}/"
    assert record.sha256 == hashlib.sha256(content).hexdigest()
    assert (record.name, record.size, record.status) == ("holiday.bin", len(content), Status.PENDING)
    assert storage_backend.stored_names() == [record.file.name]
    assert storage_backend.stored_bytes(record.file.name) == content
    assert open_multipart_uploads(storage_backend) == []
    assert used(user) == len(content)  # the reservation became the file's usage, once

    progress = auth_client.get(url, **TUS)
    assert progress.status_code == 200
    body = progress.json()
    assert (body["id"], body["offset"], body["length"]) == (url.split("/")[-2], len(content), len(content))
    assert body["file"]["id"] == str(record.pk) and body["file"]["sha256"] == record.sha256
    assert process_inline(record.pk).status == Status.PROCESSED


def test_creation_with_upload_completes_in_one_request(storage_backend, auth_client, user):
    content = samples.utf8_text()
    response = create(auth_client, len(content), "notes.txt", body=content)
    assert response.status_code == 201, response.content
    assert response["Upload-Offset"] == str(len(content))
    record = File.objects.get()
    assert response["File-Location"].endswith(f"/api/v1/files/{record.pk}/")
    assert (record.kind, record.sha256) == ("text", hashlib.sha256(content).hexdigest())
    assert storage_backend.stored_names() == [record.file.name]
    assert used(user) == len(content)


def test_creation_with_part_of_the_upload_keeps_it(storage_backend, auth_client):
    content = samples.random_bytes(50_000)
    response = create(auth_client, len(content), body=content[:20_000])
    assert response.status_code == 201
    assert response["Upload-Offset"] == "20000"
    assert head(auth_client, location_path(response))["Upload-Offset"] == "20000"
    assert patch(auth_client, location_path(response), 20_000, content[20_000:]).status_code == 204
    assert storage_backend.stored_bytes(File.objects.get().file.name) == content


def test_patch_at_the_wrong_offset_is_409(storage_backend, auth_client):
    url = location_path(create(auth_client, 10_000))
    assert patch(auth_client, url, 0, b"a" * 4_000).status_code == 204
    response = patch(auth_client, url, 0, b"b" * 4_000)
    assert response.status_code == 409
    assert envelope(response)["code"] == "conflict"
    assert head(auth_client, url)["Upload-Offset"] == "4000"


def test_patch_with_another_content_type_is_415(storage_backend, auth_client):
    url = location_path(create(auth_client, 10_000))
    response = patch(auth_client, url, 0, b"a" * 100, content_type="application/octet-stream")
    assert response.status_code == 415
    assert envelope(response)["code"] == "unsupported_media_type"
    assert head(auth_client, url)["Upload-Offset"] == "0"


def test_requests_without_tus_resumable_are_412(auth_client):
    response = auth_client.generic("POST", UPLOADS, HTTP_UPLOAD_LENGTH="100")
    assert response.status_code == 412
    assert envelope(response)["code"] == "precondition_failed"
    assert response["Tus-Version"] == "1.0.0"
    assert ResumableUpload.objects.count() == 0


def test_a_body_past_upload_length_is_400_and_nothing_of_it_is_kept(storage_backend, auth_client, user):
    url = location_path(create(auth_client, 10_000))
    assert patch(auth_client, url, 0, b"a" * 6_000).status_code == 204
    response = patch(auth_client, url, 6_000, b"b" * 5_000)
    assert response.status_code == 400
    assert envelope(response)["code"] == "invalid"
    assert head(auth_client, url)["Upload-Offset"] == "6000"
    assert patch(auth_client, url, 6_000, b"c" * 4_000).status_code == 204
    assert storage_backend.stored_bytes(File.objects.get().file.name) == b"a" * 6_000 + b"c" * 4_000


@pytest.mark.parametrize(("headers", "code"), [
    ({}, "invalid"),
    ({"HTTP_UPLOAD_DEFER_LENGTH": "1"}, "invalid"),
    ({"HTTP_UPLOAD_LENGTH": "ten"}, "invalid"),
    ({"HTTP_UPLOAD_LENGTH": "0"}, "empty_file"),
    ({"HTTP_UPLOAD_LENGTH": "100", "HTTP_UPLOAD_METADATA": "filename not-base64!"}, "invalid"),
])
def test_creation_without_a_usable_length_is_400(auth_client, user, headers, code):
    response = auth_client.generic("POST", UPLOADS, **TUS, **headers)
    assert response.status_code == 400
    assert envelope(response)["code"] == code
    assert ResumableUpload.objects.count() == 0 and used(user) == 0


def test_creation_over_the_size_limit_or_the_quota_is_413(auth_client, user, settings):
    settings.FILES_MAX_UPLOAD_SIZE = 1_000
    settings.FILES_USER_QUOTA = 2_500
    too_large = create(auth_client, 1_001)
    assert too_large.status_code == 413
    assert envelope(too_large)["code"] == "file_too_large"
    assert create(auth_client, 1_000).status_code == 201
    assert create(auth_client, 1_000).status_code == 201
    over_quota = create(auth_client, 1_000)  # the reservations of unfinished uploads count
    assert over_quota.status_code == 413
    assert envelope(over_quota)["code"] == "quota_exceeded"
    assert used(user) == 2_000


def test_another_users_upload_is_404(auth_client, other_client):
    url = location_path(create(auth_client, 1_000))
    for response in (head(other_client, url), patch(other_client, url, 0, b"x" * 10),
                     other_client.delete(url, **TUS), other_client.get(url, **TUS)):
        assert response.status_code == 404
    assert envelope(other_client.get(url, **TUS))["code"] == "not_found"
    assert head(auth_client, url)["Upload-Offset"] == "0"
    assert head(auth_client, "/api/v1/uploads/not-a-uuid/").status_code == 404


def test_termination_removes_the_bytes_and_releases_the_reservation(storage_backend, auth_client, user):
    url = location_path(create(auth_client, 7 * MIB))
    assert patch(auth_client, url, 0, samples.random_bytes(6 * MIB)).status_code == 204
    assert used(user) == 7 * MIB
    response = auth_client.delete(url, **TUS)
    assert response.status_code == 204
    assert response["Tus-Resumable"] == "1.0.0"
    assert head(auth_client, url).status_code == 404
    assert used(user) == 0
    assert storage_backend.stored_names() == []
    assert open_multipart_uploads(storage_backend) == []


def test_the_sweeper_expires_unfinished_uploads(storage_backend, auth_client, user, settings):
    settings.FILES_TUS_EXPIRY = 3
    content = samples.random_bytes(6 * MIB)
    url = location_path(create(auth_client, 8 * MIB))
    assert patch(auth_client, url, 0, content).status_code == 204
    assert storage_backend.stored_names() != []  # the partial file; on S3 the tail after one part
    assert tasks.expire_uploads() == 0  # not yet: 3 s after the PATCH
    time.sleep(3.2)
    assert head(auth_client, url).status_code == 404  # expired answers 404 even before the sweep
    assert tasks.expire_uploads() == 1
    assert ResumableUpload.objects.count() == 0
    assert used(user) == 0
    assert storage_backend.stored_names() == []
    assert open_multipart_uploads(storage_backend) == []


def test_a_refused_file_is_415_keeps_nothing_and_releases_the_reservation(storage_backend, auth_client, user):
    content = samples.pe()
    url = location_path(create(auth_client, len(content), "setup.exe"))
    response = patch(auth_client, url, 0, content)
    assert response.status_code == 415
    assert envelope(response)["code"] == "unsupported_file_type"
    assert response["Tus-Resumable"] == "1.0.0"
    assert File.objects.count() == 0 and ResumableUpload.objects.count() == 0
    assert used(user) == 0
    assert storage_backend.stored_names() == []
    assert open_multipart_uploads(storage_backend) == []
    assert head(auth_client, url).status_code == 404


def test_patch_needs_the_token(api_client, auth_client):
    url = location_path(create(auth_client, 100))
    response = patch(api_client, url, 0, b"x" * 100)
    assert response.status_code == 401
    assert envelope(response)["code"] == "not_authenticated"


def test_creation_with_a_refusable_body_creates_nothing(auth_client, user):
    wrong_type = auth_client.generic("POST", UPLOADS, b"x" * 100, content_type="text/plain",
                                     **TUS, HTTP_UPLOAD_LENGTH="100")
    assert wrong_type.status_code == 415
    assert envelope(wrong_type)["code"] == "unsupported_media_type"
    too_long = create(auth_client, 100, body=b"x" * 101)
    assert too_long.status_code == 400
    assert envelope(too_long)["code"] == "invalid"
    assert ResumableUpload.objects.count() == 0 and used(user) == 0


def test_a_patch_that_lost_its_lease_stops_writing(storage_backend, auth_client, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from core.exceptions import Conflict
    from files.resumable import services

    monkeypatch.setattr(services, "PATCH_LEASE", timedelta(0))  # renew before every piece
    url = location_path(create(auth_client, 100_000))
    upload = ResumableUpload.objects.get()
    pieces = iter([b"a" * 10_000, b"b" * 10_000, b"c" * 10_000])

    def read(size):
        piece = next(pieces, b"")
        if piece.startswith(b"b"):  # meanwhile the lease lapsed and another PATCH took the upload
            ResumableUpload.objects.filter(pk=upload.pk).update(patch_lease_until=timezone.now())
        return piece

    with pytest.raises(Conflict):
        services.upload_append(upload=upload, offset=0, read=read, declared_size=None)
    upload.refresh_from_db()
    assert upload.offset == 0
    assert head(auth_client, url)["Upload-Offset"] == "0"
    if storage_backend.s3 is None:  # only what came before the takeover reached the partial file
        assert (storage_backend.media_root / ".tus" / upload.id.hex).read_bytes() == b"a" * 10_000


def test_the_beat_schedule_runs_the_expiry_with_the_sweeper(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["expire-uploads"]["task"] == "files.tasks.expire_uploads"
    assert schedule["expire-uploads"]["schedule"] == schedule["sweep-files"]["schedule"]
