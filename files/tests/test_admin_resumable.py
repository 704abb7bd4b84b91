"""Moderators see unfinished resumable uploads (owner, size, offset, expiry) and remove them
through the service: the partial bytes go and the quota reservation is released."""

import pytest
from django.urls import reverse

from files.models import ResumableUpload
from testing.tus import create, location_path, patch

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:files_resumableupload_changelist")


def test_unfinished_uploads_are_listed_with_owner_size_offset_and_expiry(admin_client, auth_client, user):
    url = location_path(create(auth_client, 10_000, "draft.bin"))
    assert patch(auth_client, url, 0, b"x" * 2_500).status_code == 204
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    page = response.content.decode()
    upload = ResumableUpload.objects.get()
    assert "draft.bin" in page and user.username in page
    assert "9.8\xa0KB" in page and "2.4\xa0KB (25%)" in page
    assert list(response.context["cl"].result_list) == [upload]
    assert upload.expires_at.strftime("%Y") in page


def test_removing_an_upload_in_the_admin_releases_its_bytes_and_reservation(admin_client, auth_client, user,
                                                                           media_root):
    url = location_path(create(auth_client, 10_000))
    assert patch(auth_client, url, 0, b"x" * 2_500).status_code == 204
    upload = ResumableUpload.objects.get()
    user.refresh_from_db()
    assert user.storage_used == 10_000
    assert (media_root / ".tus" / upload.id.hex).stat().st_size == 2_500
    response = admin_client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [str(upload.pk)],
                                              "post": "yes"}, follow=True)
    assert response.status_code == 200
    assert ResumableUpload.objects.count() == 0
    user.refresh_from_db()
    assert user.storage_used == 0
    assert not (media_root / ".tus" / upload.id.hex).exists()
