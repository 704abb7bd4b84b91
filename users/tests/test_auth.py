import pytest
from django.contrib.auth import get_user_model

from testing.factories import PASSWORD

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
LOGOUT = "/api/v1/auth/logout/"
ME = "/api/v1/users/me/"


def test_register_answers_the_new_user(api_client):
    response = api_client.post(REGISTER, {"username": "ana", "email": "ana@example.com",
                                          "password": "correct-horse-42"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "username", "email", "date_joined"}
    assert body["username"] == "ana" and body["email"] == "ana@example.com"
    assert get_user_model().objects.get(username="ana").check_password("correct-horse-42")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"username": "bob", "email": "bob@example.com", "password": "123"}, "password"),
        ({"username": "bob", "email": "bob@example.com", "password": "password"}, "password"),
        ({"username": "bob", "email": "not-an-email", "password": "correct-horse-42"}, "email"),
        ({"email": "bob@example.com", "password": "correct-horse-42"}, "username"),
    ],
)
def test_register_rejects_bad_input_with_field_errors(api_client, payload, field):
    response = api_client.post(REGISTER, payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["errors"]
    assert not get_user_model().objects.filter(username="bob").exists()


def test_register_rejects_duplicate_username_and_email(api_client, user):
    same_name = api_client.post(REGISTER, {"username": user.username, "email": "new@example.com",
                                           "password": "correct-horse-42"}, format="json")
    same_email = api_client.post(REGISTER, {"username": "fresh", "email": user.email.upper(),
                                            "password": "correct-horse-42"}, format="json")
    assert same_name.status_code == 400 and "username" in same_name.json()["errors"]
    assert same_email.status_code == 400 and "email" in same_email.json()["errors"]


def test_token_refresh_rotates_and_blacklists(api_client, user):
    tokens = api_client.post(TOKEN, {"username": user.username, "password": PASSWORD}, format="json").json()
    assert set(tokens) == {"access", "refresh"}
    rotated = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert rotated.status_code == 200
    assert set(rotated.json()) == {"access", "refresh"}
    assert rotated.json()["refresh"] != tokens["refresh"]
    again = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert again.status_code == 401
    assert again.json()["code"] == "token_not_valid"


def test_wrong_password_is_401_authentication_failed(api_client, user):
    response = api_client.post(TOKEN, {"username": user.username, "password": "nope"}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_logout_blacklists_the_refresh_token(api_client, user):
    tokens = api_client.post(TOKEN, {"username": user.username, "password": PASSWORD}, format="json").json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    response = api_client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 205
    refreshed = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert refreshed.status_code == 401
    assert refreshed.json()["code"] == "token_not_valid"


def test_logout_with_another_users_refresh_token_is_refused(api_client, auth_client, other_user):
    tokens = api_client.post(TOKEN, {"username": other_user.username, "password": PASSWORD},
                             format="json").json()
    response = auth_client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 401
    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 200


def test_me_reports_quota_and_limits(auth_client, user, settings):
    settings.FILES_USER_QUOTA = 5000
    response = auth_client.get(ME)
    assert response.status_code == 200
    assert response.json() == {
        "id": str(user.id), "username": user.username, "email": user.email,
        "date_joined": response.json()["date_joined"], "is_staff": False,
        "quota": {"used_bytes": 0, "limit_bytes": 5000, "file_count": 0},
        "limits": {"max_upload_size": settings.FILES_MAX_UPLOAD_SIZE,
                   "allowed_kinds": ["image", "video", "audio", "text", "document", "archive", "other"]},
    }


def test_me_reports_unlimited_quota_as_null(auth_client, settings):
    settings.FILES_USER_QUOTA = 0
    assert auth_client.get(ME).json()["quota"]["limit_bytes"] is None


def test_me_without_token_is_401_not_authenticated(api_client):
    response = api_client.get(ME)
    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated",
                               "detail": "Authentication credentials were not provided.", "errors": {}}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_deactivated_users_token_stops_working_at_once(auth_client, user):
    assert auth_client.get(ME).status_code == 200
    user.is_active = False
    user.save()
    response = auth_client.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
