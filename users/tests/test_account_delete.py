"""DELETE /api/v1/users/me/ (API.md "Account"): the account, its files and their bytes go."""

import pytest
from django.contrib.auth import get_user_model

from files.models import File
from testing import samples
from testing.factories import PASSWORD
from testing.uploads import stored_names, upload

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/me/"


def test_deleting_the_account_removes_its_files_and_bytes(auth_client, other_client, user, media_root,
                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for name, content in (("a.txt", samples.utf8_text()), ("b.png", samples.png())):
            assert upload(auth_client, content, name).status_code == 201
        kept = upload(other_client, samples.utf8_text(), "other.txt").json()["id"]
    ours = [n for n in stored_names(media_root) if not n.startswith(".tmp")]
    assert len(ours) == 3

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete(ME, {"password": PASSWORD}, format="json")
    assert response.status_code == 204
    assert response.content == b""
    assert not get_user_model().objects.filter(pk=user.pk).exists()
    assert list(File.objects.values_list("id", flat=True)) == [File.objects.get(pk=kept).pk]
    remaining = [n for n in stored_names(media_root) if not n.startswith(".tmp")]
    assert remaining == [File.objects.get(pk=kept).file.name]
    gone = auth_client.get(ME)
    assert gone.status_code == 401


def test_deleting_the_account_needs_the_password(auth_client, user):
    wrong = auth_client.delete(ME, {"password": "not-it"}, format="json")
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "invalid" and "password" in wrong.json()["errors"]
    missing = auth_client.delete(ME, {}, format="json")
    assert missing.status_code == 400 and "password" in missing.json()["errors"]
    assert get_user_model().objects.filter(pk=user.pk).exists()


def test_password_guesses_on_delete_and_change_are_throttled_like_sign_in(auth_client, user, monkeypatch):
    from api.throttling import ScopedRateThrottle

    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "3/min")
    guesses = [auth_client.delete(ME, {"password": f"guess-{i}"}, format="json").status_code for i in range(4)]
    assert guesses == [400, 400, 400, 429]
    change = auth_client.post("/api/v1/auth/password/", {"old_password": "guess", "new_password": "x" * 20},
                              format="json")
    assert change.status_code == 429 and change.json()["code"] == "throttled"
    assert auth_client.get(ME).status_code == 200  # reading the account is not
