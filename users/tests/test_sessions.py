"""Ending sessions (finding 5): deactivation and password changes revoke every token issued before;
refresh rotation does not extend a session past its absolute lifetime."""

import time

import pytest
from rest_framework.test import APIClient

from testing.factories import PASSWORD
from users import services

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
ME = "/api/v1/users/me/"
PASSWORD_CHANGE = "/api/v1/auth/password/"


def login(user, password=PASSWORD) -> dict:
    response = APIClient().post(TOKEN, {"username": user.username, "password": password}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def me(access: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get(ME)


def test_reactivation_does_not_revive_old_access_tokens(user):
    old = login(user)
    assert me(old["access"]).status_code == 200
    services.user_deactivate(user=user)
    services.user_activate(user=user)
    revoked = me(old["access"])
    assert revoked.status_code == 401
    assert revoked.json()["code"] == "token_not_valid"
    assert APIClient().post(REFRESH, {"refresh": old["refresh"]}, format="json").status_code == 401
    assert me(login(user)["access"]).status_code == 200  # signing in again works


def test_password_change_ends_every_earlier_session_and_not_the_next(user):
    first, second = login(user), login(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {first['access']}")
    changed = client.post(PASSWORD_CHANGE, {"old_password": PASSWORD, "new_password": "a-new-long-passphrase-7"},
                          format="json")
    assert changed.status_code == 204
    assert changed.content == b""
    for session in (first, second):
        assert me(session["access"]).json()["code"] == "token_not_valid"
        refreshed = APIClient().post(REFRESH, {"refresh": session["refresh"]}, format="json")
        assert (refreshed.status_code, refreshed.json()["code"]) == (401, "token_not_valid")
    assert APIClient().post(TOKEN, {"username": user.username, "password": PASSWORD},
                            format="json").status_code == 401
    assert me(login(user, "a-new-long-passphrase-7")["access"]).status_code == 200


def test_password_change_needs_the_current_password_and_a_valid_new_one(user, auth_client):
    wrong = auth_client.post(PASSWORD_CHANGE, {"old_password": "not-it", "new_password": "a-new-long-passphrase-7"},
                             format="json")
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "invalid" and "old_password" in wrong.json()["errors"]
    weak = auth_client.post(PASSWORD_CHANGE, {"old_password": PASSWORD, "new_password": "123"}, format="json")
    assert weak.status_code == 400
    assert "new_password" in weak.json()["errors"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and user.tokens_valid_after is None
    assert auth_client.post(PASSWORD_CHANGE, {}, format="json").status_code == 400
    assert APIClient().post(PASSWORD_CHANGE, {"old_password": PASSWORD, "new_password": "x" * 20},
                            format="json").status_code == 401


def test_rotated_refresh_tokens_stop_at_the_absolute_session_lifetime(user, settings):
    settings.JWT_SESSION_LIFETIME = 2
    tokens = login(user)
    rotated = APIClient().post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert rotated.status_code == 200
    time.sleep(2.2)
    expired = APIClient().post(REFRESH, {"refresh": rotated.json()["refresh"]}, format="json")
    assert expired.status_code == 401
    assert expired.json()["code"] == "token_not_valid"
    assert "session" in expired.json()["detail"].lower()
