"""Users in the admin: file count and bytes used, deactivation, deletion with the user's files."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from files.models import File
from testing import samples
from testing.factories import FileFactory
from testing.uploads import stored_names, upload
from users.models import User

CHANGELIST = reverse("admin:users_user_changelist")
ME = "/api/v1/users/me/"
REFRESH = "/api/v1/auth/token/refresh/"

pytestmark = pytest.mark.django_db


def _act(admin_client, action: str, users, **extra):
    return admin_client.post(CHANGELIST, {"action": action, "_selected_action": [str(u.pk) for u in users],
                                          **extra}, follow=True)


def test_list_shows_file_count_and_bytes_used(admin_client, user):
    FileFactory.create_batch(3, owner=user)
    User.objects.filter(pk=user.pk).update(storage_used=3 * 1536)

    response = admin_client.get(CHANGELIST, {"q": user.username})

    assert response.status_code == 200
    html = response.content.decode()
    row = next(u for u in response.context["cl"].result_list if u.pk == user.pk)
    assert row._file_count == 3
    assert '<td class="field-file_count">3</td>' in html
    assert "4.5\xa0KB (4,608 bytes)" in html


def test_list_queries_do_not_grow_with_users(admin_client, django_assert_max_num_queries):
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(CHANGELIST).status_code == 200
    # Unusable passwords: hashing 30 real ones would be most of this test's time.
    owners = User.objects.bulk_create([User(username=f"bulk{n}", email=f"bulk{n}@example.com", password="!")
                                       for n in range(30)])
    for owner in owners:
        FileFactory(owner=owner)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    assert sum(u._file_count for u in response.context["cl"].result_list) == 30


def test_deactivate_stops_access_and_refresh_tokens(admin_client, user):
    refresh = RefreshToken.for_user(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {refresh.access_token}")
    assert client.get(ME).status_code == 200

    response = _act(admin_client, "deactivate_users", [user])

    assert "Deactivated 1 user." in [str(m) for m in response.context["messages"]]
    user.refresh_from_db()
    assert user.is_active is False
    me = client.get(ME)
    assert me.status_code == 401
    assert me.json()["code"] == "authentication_failed"
    refreshed = APIClient().post(REFRESH, {"refresh": str(refresh)}, format="json")
    assert refreshed.status_code == 401
    assert refreshed.json()["code"] == "token_not_valid"


def test_reactivated_user_logs_in_again_but_old_refresh_tokens_stay_dead(admin_client, user):
    refresh = RefreshToken.for_user(user)
    _act(admin_client, "deactivate_users", [user])

    _act(admin_client, "activate_users", [user])

    assert APIClient().post("/api/v1/auth/token/", {"username": user.username, "password": "S3cure-pass-for-tests"},
                            format="json").status_code == 200
    assert APIClient().post(REFRESH, {"refresh": str(refresh)}, format="json").status_code == 401


def test_superuser_cannot_deactivate_themself(admin_client, admin_user):
    response = _act(admin_client, "deactivate_users", [admin_user])

    admin_user.refresh_from_db()
    assert admin_user.is_active is True
    assert "You cannot deactivate yourself; your account was left active." in [
        str(m) for m in response.context["messages"]]


def test_deleting_a_user_removes_their_stored_files(admin_client, auth_client, user, media_root,
                                                    django_capture_on_commit_callbacks):
    assert upload(auth_client, samples.png(), "a.png").status_code == 201
    assert upload(auth_client, samples.utf8_text(), "b.txt").status_code == 201
    assert len(stored_names(media_root)) == 2

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:users_user_delete", args=[user.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    assert not File.objects.exists()
    assert stored_names(media_root) == []
