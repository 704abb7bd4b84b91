from urllib.parse import quote

import pytest

from files.models import File, Status
from testing import samples
from testing.factories import FileFactory
from testing.uploads import FILES, process_inline, stored_names, upload

pytestmark = pytest.mark.django_db


def test_detail_answers_the_file(auth_client, user):
    record = FileFactory(owner=user)
    response = auth_client.get(f"{FILES}{record.id}/")
    assert response.status_code == 200
    assert response.json()["id"] == str(record.id)
    assert response.json()["name"] == record.name


def test_download_streams_the_original_bytes_as_an_attachment(auth_client):
    content = b"<html><script>alert(1)</script></html>"
    created = upload(auth_client, content, "page.html").json()
    response = auth_client.get(f"{FILES}{created['id']}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Disposition"] == "attachment; filename=\"page.html\"; filename*=UTF-8''page.html"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "text/html"
    assert "sandbox" in response["Content-Security-Policy"]


def test_download_keeps_a_unicode_name_per_rfc_6266(auth_client):
    name = "отчёт «финал».txt"
    created = upload(auth_client, b"report\n", name).json()
    response = auth_client.get(f"{FILES}{created['id']}/download/")
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"_____ _______.txt\"; filename*=UTF-8''{quote(name, safe='')}")


def test_thumbnail_of_a_processed_image_is_a_webp(auth_client):
    created = upload(auth_client, samples.png((600, 300)), "wide.png").json()
    process_inline(created["id"])
    response = auth_client.get(f"{FILES}{created['id']}/thumbnail/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content)[8:12] == b"WEBP"


@pytest.mark.parametrize("content", [samples.png(), b"plain text\n"], ids=["unprocessed-image", "text"])
def test_thumbnail_is_404_before_processing_and_for_non_images(auth_client, content):
    created = upload(auth_client, content, "x").json()
    if created["kind"] != "image":
        process_inline(created["id"])
    response = auth_client.get(f"{FILES}{created['id']}/thumbnail/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_blocked_file_stays_listed_but_download_and_thumbnail_are_403(auth_client):
    created = upload(auth_client, samples.png(), "a.png").json()
    process_inline(created["id"])
    File.objects.filter(pk=created["id"]).update(blocked=True)
    assert auth_client.get(FILES).json()["results"][0]["blocked"] is True
    for endpoint in ("download", "thumbnail"):
        response = auth_client.get(f"{FILES}{created['id']}/{endpoint}/")
        assert response.status_code == 403
        assert response.json() == {"code": "file_blocked", "detail": "This file has been blocked by a moderator.",
                                   "errors": {}}


def test_delete_removes_row_bytes_thumbnail_and_quota(auth_client, user, media_root,
                                                      django_capture_on_commit_callbacks):
    created = upload(auth_client, samples.png(), "a.png").json()
    process_inline(created["id"])
    assert len(stored_names(media_root)) == 2  # original + thumbnail
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete(f"{FILES}{created['id']}/")
    assert response.status_code == 204
    assert not File.objects.exists()
    assert stored_names(media_root) == []
    user.refresh_from_db()
    assert user.storage_used == 0


def test_reprocess_queues_the_file_again(auth_client, media_root, django_capture_on_commit_callbacks):
    created = upload(auth_client, samples.png(), "a.png").json()
    process_inline(created["id"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = auth_client.post(f"{FILES}{created['id']}/reprocess/")
    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["processed"], body["result"], body["processed_at"]) == (
        "pending", False, None, None)
    callbacks[0]()  # after commit: the old thumbnail goes
    assert stored_names(media_root) == [File.objects.get().file.name]
    assert auth_client.get(f"{FILES}{created['id']}/thumbnail/").status_code == 404
    assert process_inline(created["id"]).status == Status.PROCESSED
    assert auth_client.get(f"{FILES}{created['id']}/thumbnail/").status_code == 200


def test_reprocess_while_processing_is_409(auth_client, user):
    record = FileFactory(owner=user, status=Status.PROCESSING)
    response = auth_client.post(f"{FILES}{record.id}/reprocess/")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


def test_unknown_id_is_404_in_the_envelope(auth_client):
    response = auth_client.get(f"{FILES}00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not found.", "errors": {}}


def test_malformed_id_is_404(auth_client):
    response = auth_client.get(f"{FILES}not-a-uuid/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("delete", ""), ("get", "download/"), ("get", "thumbnail/"), ("post", "reprocess/")],
)
def test_another_users_file_is_404_like_a_missing_one(other_client, user, method, suffix, media_root):
    record = FileFactory(owner=user)
    response = getattr(other_client, method)(f"{FILES}{record.id}/{suffix}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert File.objects.filter(pk=record.pk, status=Status.PENDING).exists()
    assert (media_root / record.file.name).exists()


def test_another_users_file_never_appears_in_a_list(other_client, user):
    FileFactory.create_batch(3, owner=user)
    assert other_client.get(FILES).json() == {"count": 0, "next": None, "previous": None, "results": []}
