"""The one error envelope, from every layer that can answer an error under /api/."""

import pytest
from django.test import Client
from django.urls import path

from testing.uploads import upload

pytestmark = pytest.mark.django_db


def assert_envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "detail", "errors"}
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], dict)
    return body


def test_400_validation_has_field_errors(api_client):
    body = assert_envelope(api_client.post("/api/v1/auth/register/", {}, format="json"), 400, "invalid")
    assert set(body["errors"]) == {"username", "email", "password"}
    assert body["errors"]["password"] == ["This field is required."]


def test_400_malformed_json(api_client):
    response = api_client.generic("POST", "/api/v1/auth/token/", "{not json", content_type="application/json")
    assert_envelope(response, 400, "malformed_request")


def test_401(api_client):
    assert_envelope(api_client.get("/api/v1/files/"), 401, "not_authenticated")


def test_404_for_an_unknown_api_path_is_json_not_html(auth_client):
    assert_envelope(auth_client.get("/api/v1/no-such-thing/"), 404, "not_found")
    assert_envelope(Client().get("/api/nothing/here"), 404, "not_found")


def test_405(auth_client):
    body = assert_envelope(auth_client.get("/api/v1/upload/"), 405, "method_not_allowed")
    assert body["detail"] == 'Method "GET" not allowed.'
    assert_envelope(auth_client.put("/api/v1/files/", {}), 405, "method_not_allowed")


def test_406_not_acceptable(auth_client):
    assert_envelope(auth_client.get("/api/v1/files/", HTTP_ACCEPT="text/csv"), 406, "not_acceptable")


def test_413(auth_client, settings):
    settings.FILES_MAX_UPLOAD_SIZE = 10
    assert_envelope(upload(auth_client, b"x" * 11, "a.txt"), 413, "file_too_large")


def test_415(auth_client):
    assert_envelope(auth_client.post("/api/v1/upload/", {"file": "x"}, format="json"), 415, "unsupported_media_type")


def crash(request):
    raise RuntimeError("secret internals: password=hunter2")


urlpatterns = [path("api/crash/", crash)]


@pytest.mark.urls("core.tests.test_errors")
@pytest.mark.parametrize("debug", [False, True])
def test_500_reveals_nothing_even_with_debug(settings, debug):
    settings.DEBUG = debug
    response = Client(raise_request_exception=False).get("/api/crash/")
    body = assert_envelope(response, 500, "server_error")
    assert "hunter2" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert body["errors"] == {}


def test_pages_outside_the_api_keep_djangos_html_errors(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")
