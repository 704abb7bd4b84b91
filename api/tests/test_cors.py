"""CORS for SPA clients: every request header the contract lets them send, every response header it names."""

import pytest

from testing import samples
from testing.uploads import FILES, process_inline, upload

pytestmark = pytest.mark.django_db

ORIGIN = "https://app.example.com"
# The contract (CORS_ALLOWED_ORIGINS row): what a browser app may send...
REQUEST_HEADERS = ["authorization", "content-type", "idempotency-key", "range", "if-range", "if-none-match",
                   "last-event-id", "tus-resumable", "upload-length", "upload-offset", "upload-metadata",
                   "upload-defer-length"]
# ...and what it must be able to read.
RESPONSE_HEADERS = ["location", "retry-after", "etag", "content-range", "content-disposition", "file-location",
                    "upload-offset", "upload-length", "upload-expires", "upload-metadata", "tus-resumable",
                    "tus-version", "tus-extension", "tus-max-size", "x-request-id"]


@pytest.fixture(autouse=True)
def _allowed_origin(settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]


def _listed(value: str) -> set[str]:
    return {item.strip().lower() for item in value.split(",")}


@pytest.mark.parametrize("method", ["POST", "GET", "PATCH", "HEAD", "DELETE"])
def test_preflight_allows_every_contract_request_header(api_client, method):
    response = api_client.options(
        "/api/v1/upload/", HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS=",".join(REQUEST_HEADERS))
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert set(REQUEST_HEADERS) <= _listed(response["Access-Control-Allow-Headers"])
    assert method.lower() in _listed(response["Access-Control-Allow-Methods"])


def test_answers_expose_every_contract_response_header(auth_client):
    response = upload(auth_client, b"hello\n", "hello.txt", HTTP_ORIGIN=ORIGIN, HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert set(RESPONSE_HEADERS) <= _listed(response["Access-Control-Expose-Headers"])


def test_download_and_its_errors_carry_cors_headers(auth_client):
    created = upload(auth_client, samples.png(), "p.png").json()
    process_inline(created["id"])
    download = auth_client.get(f"{FILES}{created['id']}/download/", HTTP_ORIGIN=ORIGIN)
    assert download.status_code == 200
    assert download["Access-Control-Allow-Origin"] == ORIGIN
    assert "content-disposition" in _listed(download["Access-Control-Expose-Headers"])
    missing = auth_client.get(f"{FILES}00000000-0000-0000-0000-000000000000/", HTTP_ORIGIN=ORIGIN)
    assert missing.status_code == 404
    assert missing["Access-Control-Allow-Origin"] == ORIGIN


def test_other_origins_get_no_cors_headers(api_client):
    response = api_client.options("/api/v1/upload/", HTTP_ORIGIN="https://evil.example.net",
                                  HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
                                  HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,idempotency-key")
    assert "Access-Control-Allow-Origin" not in response
