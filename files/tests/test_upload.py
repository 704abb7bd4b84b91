import hashlib
from datetime import datetime

import pytest
from django.db import transaction

from files import signing
from files.models import File
from testing import samples
from testing.uploads import FILES, process_inline, stored_names, upload

pytestmark = pytest.mark.django_db


def test_upload_answers_201_with_the_file_and_its_location(auth_client, user, media_root):
    content = samples.png()
    response = upload(auth_client, content, "holiday photo.png")
    assert response.status_code == 201
    body = response.json()
    record = File.objects.get()
    assert response["Location"] == f"http://testserver/api/v1/files/{record.id}/"
    assert body == {
        "id": str(record.id),
        "name": "holiday photo.png",
        "file": f"http://testserver/api/v1/files/{record.id}/download/",
        "size": len(content),
        "content_type": "image/png",
        "kind": "image",
        "sha256": hashlib.sha256(content).hexdigest(),
        "status": "pending",
        "processed": False,
        "uploaded_at": body["uploaded_at"],
        "processed_at": None,
        "status_changed_at": body["status_changed_at"],
        "download_url": body["download_url"],
        "thumbnail_url": None,
        "error": None,
        "blocked": False,
        "result": None,
    }
    url, _, sig = body["download_url"].partition("?sig=")
    assert url == f"http://testserver/api/v1/files/{record.id}/download/"
    assert signing.is_valid(sig, file_id=record.id, purpose=signing.DOWNLOAD)
    assert record.owner == user
    assert datetime.fromisoformat(body["status_changed_at"]) == record.status_changed_at
    assert stored_names(media_root) == [record.file.name]
    assert (media_root / record.file.name).read_bytes() == content


def test_storage_name_is_generated_never_the_clients(auth_client):
    upload(auth_client, b"plain text body\n", "../../etc/passwd")
    record = File.objects.get()
    assert record.file.name == f"uploads/{record.id.hex[:2]}/{record.id.hex}"
    assert record.name == "passwd"


def test_kind_comes_from_the_bytes_not_the_extension(auth_client):
    body = upload(auth_client, samples.png(), "notes.txt").json()
    assert (body["kind"], body["content_type"]) == ("image", "image/png")
    body = upload(auth_client, b"just words, really\n", "photo.jpg").json()
    assert body["kind"] == "text"


def test_quota_counter_moves_with_the_upload(auth_client, user):
    upload(auth_client, b"x" * 1000, "a.txt")
    user.refresh_from_db()
    assert user.storage_used == 1000
    assert auth_client.get("/api/v1/users/me/").json()["quota"] == {
        "used_bytes": 1000, "limit_bytes": 1073741824, "file_count": 1}


def test_idempotency_key_replays_the_first_upload(auth_client, user, media_root):
    first = upload(auth_client, b"first body\n", "a.txt", HTTP_IDEMPOTENCY_KEY="k-123")
    again = upload(auth_client, b"second body\n", "b.txt", HTTP_IDEMPOTENCY_KEY="k-123")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again["Location"] == first["Location"]
    assert File.objects.count() == 1
    assert len(stored_names(media_root)) == 1
    user.refresh_from_db()
    assert user.storage_used == len(b"first body\n")


def test_idempotency_key_is_per_user(auth_client, other_client):
    mine = upload(auth_client, b"mine\n", "a.txt", HTTP_IDEMPOTENCY_KEY="shared")
    theirs = upload(other_client, b"theirs\n", "a.txt", HTTP_IDEMPOTENCY_KEY="shared")
    assert mine.json()["id"] != theirs.json()["id"]
    assert File.objects.count() == 2


def test_idempotency_key_expires_after_its_window(auth_client, settings):
    first = upload(auth_client, b"first\n", "a.txt", HTTP_IDEMPOTENCY_KEY="old")
    File.objects.update(uploaded_at=File.objects.get().uploaded_at.replace(year=2000))
    second = upload(auth_client, b"second\n", "b.txt", HTTP_IDEMPOTENCY_KEY="old")
    assert second.status_code == 201
    assert second.json()["id"] != first.json()["id"]
    assert File.objects.count() == 2


def test_too_long_idempotency_key_is_400(auth_client):
    response = upload(auth_client, b"x\n", "a.txt", HTTP_IDEMPOTENCY_KEY="k" * 256)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "Idempotency-Key" in response.json()["errors"]
    assert not File.objects.exists()


def test_processing_is_enqueued_only_after_commit(auth_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        upload(auth_client, b"hello\n", "a.txt")
    assert len(callbacks) == 1


def test_on_commit_enqueue_does_not_fire_on_rollback(user, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from files import services
    from files.uploads import StreamedFacts

    facts = StreamedFacts()
    facts.digest.update(b"hello\n")
    facts.size = 6
    facts.head += b"hello\n"

    class Boom(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Boom), transaction.atomic():
        services.file_create(owner=user, upload=SimpleUploadedFile("a.txt", b"hello\n"), facts=facts)
        raise Boom
    assert callbacks == []
    assert not File.objects.exists()


def test_upload_then_list_then_processed(auth_client):
    created = upload(auth_client, samples.png(), "a.png").json()
    listed = auth_client.get(FILES).json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == created["id"]
    process_inline(created["id"])
    detail = auth_client.get(f"{FILES}{created['id']}/").json()
    assert detail["status"] == "processed" and detail["processed"] is True
    assert detail["processed_at"] is not None
    assert detail["result"]["thumbnail"] == f"http://testserver/api/v1/files/{created['id']}/thumbnail/"
