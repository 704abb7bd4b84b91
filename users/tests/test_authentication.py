"""Bearer authentication reads the user in one statement and refuses what simplejwt refuses, in the envelope."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from testing.factories import UserFactory

pytestmark = pytest.mark.django_db


def _client(token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_a_valid_token_costs_one_statement_for_the_user(user):
    token = AccessToken.for_user(user)
    with CaptureQueriesContext(connection) as queries:
        response = _client(token).get("/api/v1/users/me/")
    assert response.status_code == 200
    assert response.json()["username"] == user.username
    user_reads = [q["sql"] for q in queries.captured_queries if 'FROM "users_user"' in q["sql"]]
    assert len(user_reads) == 1 and "::uuid" in user_reads[0]


@pytest.mark.parametrize("claim", ["00000000-0000-0000-0000-000000000000",  # deleted since
                                   "not-a-primary-key"])
def test_a_token_for_no_user_is_401(user, claim):
    token = AccessToken.for_user(user)
    token["user_id"] = claim
    response = _client(token).get("/api/v1/users/me/")
    assert response.status_code == 401
    assert response.json() == {"code": "authentication_failed", "detail": "User not found", "errors": {}}


def test_an_inactive_users_token_is_401():
    user = UserFactory(is_active=False)
    response = _client(AccessToken.for_user(user)).get("/api/v1/users/me/")
    assert response.status_code == 401
    assert response.json() == {"code": "authentication_failed", "detail": "User is inactive", "errors": {}}


def test_a_token_is_decoded_once_and_its_user_still_read_on_every_request(user, monkeypatch):
    from rest_framework_simplejwt.backends import TokenBackend

    decoded = []
    decode = TokenBackend.decode
    monkeypatch.setattr(TokenBackend, "decode", lambda self, *a, **k: decoded.append(1) or decode(self, *a, **k))
    client = _client(AccessToken.for_user(user))
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/users/me/").status_code == 200
        assert sum('FROM "users_user"' in q["sql"] for q in queries.captured_queries) == 1
    assert len(decoded) == 1
    user.is_active = False
    user.save()
    response = client.get("/api/v1/users/me/")
    assert response.status_code == 401 and response.json()["detail"] == "User is inactive"


def test_a_remembered_token_is_refused_once_it_expires(user):
    import time

    token = AccessToken.for_user(user)
    token["exp"] = int(time.time()) + 1
    client = _client(token)
    assert client.get("/api/v1/users/me/").status_code == 200  # validated and remembered
    time.sleep(max(0.0, token["exp"] - time.time()) + 0.05)
    response = client.get("/api/v1/users/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_the_remembered_tokens_are_bounded():
    from users.authentication import ValidatedTokens

    tokens = ValidatedTokens(size=2)
    made = {raw: AccessToken() for raw in (b"a", b"b", b"c")}
    for raw, token in made.items():
        tokens.add(raw, token)
    assert tokens.get(b"a") is None  # the oldest went first
    assert tokens.get(b"b") is made[b"b"] and tokens.get(b"c") is made[b"c"]
