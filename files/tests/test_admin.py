"""Moderation in the admin: the file list, filters, search, detail, actions and deletes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from files.models import File, Kind, Status
from testing import samples
from testing.factories import FileFactory, UserFactory
from testing.uploads import FILES, process_inline, stored_names, upload

CHANGELIST = reverse("admin:files_file_changelist")

pytestmark = pytest.mark.django_db


def _change_url(record) -> str:
    return reverse("admin:files_file_change", args=[record.pk])


def _listed(response) -> list[File]:
    return list(response.context["cl"].result_list)


def _act(admin_client, action: str, records, **extra):
    return admin_client.post(CHANGELIST, {"action": action, "_selected_action": [str(r.pk) for r in records],
                                          **extra}, follow=True)


@pytest.fixture
def processed_image(auth_client):
    response = upload(auth_client, samples.png(), "sunset.png")
    assert response.status_code == 201, response.content
    record = process_inline(response.data["id"])
    assert record.status == Status.PROCESSED and record.thumbnail
    return record


@pytest.fixture
def failed_image(auth_client):
    response = upload(auth_client, samples.corrupt_png(), "broken.png")
    assert response.status_code == 201, response.content
    record = process_inline(response.data["id"])
    assert record.status == Status.FAILED and record.kind == Kind.IMAGE
    return record


def test_list_shows_owner_name_kind_status_size_and_thumbnail(admin_client, processed_image):
    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    html = response.content.decode()
    thumbnail_url = reverse("admin:files_file_thumbnail", args=[processed_image.pk])
    assert _listed(response) == [processed_image]
    for text in ("sunset.png", processed_image.owner.username, "image", "processed",
                 f"{processed_image.size:,} bytes", f'src="{thumbnail_url}"'):
        assert text in html


def test_thumbnail_is_served_to_moderators_as_webp(admin_client, processed_image):
    response = admin_client.get(reverse("admin:files_file_thumbnail", args=[processed_image.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["X-Content-Type-Options"] == "nosniff"
    with processed_image.thumbnail.open("rb") as stored:
        assert b"".join(response.streaming_content) == stored.read()


def test_thumbnail_is_not_served_outside_the_admin(client, auth_client, processed_image):
    client.force_login(processed_image.owner)  # logged in, but not staff

    response = client.get(reverse("admin:files_file_thumbnail", args=[processed_image.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_list_queries_do_not_grow_with_rows(admin_client, django_assert_max_num_queries):
    owners = UserFactory.create_batch(4)
    FileFactory(owner=owners[0], thumbnail="thumbnails/00/a.webp", kind=Kind.IMAGE)
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(CHANGELIST).status_code == 200
    for index in range(60):
        FileFactory(owner=owners[index % 4], thumbnail=f"thumbnails/00/{index}.webp", kind=Kind.IMAGE)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    assert len(_listed(response)) == 50  # one full page, each row with owner and thumbnail


@pytest.mark.parametrize(("query", "expected"), [
    ({"status__exact": "failed", "kind__exact": "image"}, {"broken.png"}),
    ({"status__exact": "processed"}, {"sunset.png"}),
    ({"kind__exact": "text"}, {"notes.txt"}),
    ({"blocked__exact": "1"}, {"notes.txt"}),
    ({"blocked__exact": "0"}, {"sunset.png", "broken.png"}),
])
def test_filters(admin_client, processed_image, failed_image, query, expected):
    FileFactory(owner=UserFactory(), name="notes.txt", blocked=True)

    response = admin_client.get(CHANGELIST, query)

    assert response.status_code == 200
    assert {record.name for record in _listed(response)} == expected


def test_filter_by_owner_and_upload_date(admin_client, processed_image):
    stranger = FileFactory(owner=UserFactory(), name="other.txt")
    File.objects.filter(pk=stranger.pk).update(uploaded_at="2020-01-01T00:00:00Z")

    by_owner = admin_client.get(CHANGELIST, {"owner__id__exact": str(processed_image.owner_id)})
    recent = admin_client.get(CHANGELIST, {"uploaded_at__gte": "2026-01-01 00:00:00+00:00",
                                              "uploaded_at__lt": "2100-01-01 00:00:00+00:00"})

    assert _listed(by_owner) == [processed_image]
    assert _listed(recent) == [processed_image]


def test_search_by_name_owner_and_sha256(admin_client, processed_image, other_user):
    FileFactory(owner=other_user, name="invoice.pdf")

    def found(term):
        return {record.name for record in _listed(admin_client.get(CHANGELIST, {"q": term}))}

    assert found("SUNSET") == {"sunset.png"}
    assert found(processed_image.owner.username) == {"sunset.png"}
    assert found(other_user.email) == {"invoice.pdf"}
    assert found(processed_image.sha256) == {"sunset.png"}
    assert found(processed_image.sha256[:10]) == set()  # the checksum matches exactly, not as a substring


def test_detail_shows_processing_result_and_thumbnail(admin_client, processed_image):
    response = admin_client.get(_change_url(processed_image))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<table class="file-result">' in html
    assert "<tr><th>width</th><td>64</td></tr>" in html
    assert "<tr><th>height</th><td>48</td></tr>" in html
    assert "<tr><th>format</th><td>PNG</td></tr>" in html
    assert reverse("admin:files_file_thumbnail", args=[processed_image.pk]) in html
    assert 'name="_save"' not in html  # read-only: moderation happens through the actions


def test_detail_of_failed_file_shows_its_error(admin_client, failed_image):
    response = admin_client.get(_change_url(failed_image))

    assert response.status_code == 200
    assert failed_image.error and failed_image.error in response.content.decode()


def test_files_cannot_be_added_in_the_admin(admin_client):
    assert admin_client.get(reverse("admin:files_file_add")).status_code == 403


def test_reprocess_action_queues_files_and_leaves_busy_ones(admin_client, failed_image, processed_image,
                                                           django_capture_on_commit_callbacks):
    File.objects.filter(pk=processed_image.pk).update(status=Status.PROCESSING)

    with django_capture_on_commit_callbacks() as callbacks:
        response = _act(admin_client, "reprocess_files", [failed_image, processed_image])

    assert response.status_code == 200
    failed_image.refresh_from_db()
    assert (failed_image.status, failed_image.error, failed_image.result) == (Status.PENDING, None, None)
    assert File.objects.get(pk=processed_image.pk).status == Status.PROCESSING
    assert len(callbacks) == 1  # one publish, for the file that was queued
    notes = [str(m) for m in response.context["messages"]]
    assert "Queued 1 file for processing." in notes
    assert "1 file is being processed and was left alone." in notes


def test_block_makes_download_and_thumbnail_answer_403_and_unblock_restores(admin_client, auth_client,
                                                                            processed_image):
    _act(admin_client, "block_files", [processed_image])

    assert File.objects.get(pk=processed_image.pk).blocked is True
    for suffix in ("download/", "thumbnail/"):
        response = auth_client.get(f"{FILES}{processed_image.pk}/{suffix}")
        assert response.status_code == 403
        assert response.json() == {"code": "file_blocked", "detail": response.json()["detail"], "errors": {}}
    assert auth_client.get(f"{FILES}{processed_image.pk}/").json()["blocked"] is True

    _act(admin_client, "unblock_files", [processed_image])

    assert auth_client.get(f"{FILES}{processed_image.pk}/download/").status_code == 200


def test_bulk_delete_removes_rows_bytes_thumbnails_and_quota(admin_client, auth_client, processed_image,
                                                            media_root, django_capture_on_commit_callbacks):
    text = upload(auth_client, samples.utf8_text(), "notes.txt").data
    owner = processed_image.owner
    owner.refresh_from_db()
    assert owner.storage_used == processed_image.size + text["size"]
    assert any(name.startswith("thumbnails/") for name in stored_names(media_root))

    confirm = _act(admin_client, "delete_selected", [processed_image, File.objects.get(pk=text["id"])])
    assert confirm.status_code == 200 and b"Are you sure" in confirm.content
    with django_capture_on_commit_callbacks(execute=True):
        _act(admin_client, "delete_selected", [processed_image, File.objects.get(pk=text["id"])], post="yes")

    assert not File.objects.exists()
    assert stored_names(media_root) == []
    owner.refresh_from_db()
    assert owner.storage_used == 0


def test_single_delete_removes_bytes_thumbnail_and_quota(admin_client, processed_image, media_root,
                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:files_file_delete", args=[processed_image.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not File.objects.filter(pk=processed_image.pk).exists()
    assert stored_names(media_root) == []
    processed_image.owner.refresh_from_db()
    assert processed_image.owner.storage_used == 0
