"""Request ids, who may read /metrics, and the JSON log lines, in this process."""

import io
import json
import logging
import sys

import pytest

from core import logs
from core.metrics import UPLOADS_REFUSED
from testing import samples
from testing.metrics import Samples
from testing.uploads import UPLOAD, upload

pytestmark = pytest.mark.django_db


def test_every_response_carries_a_new_request_id_when_no_proxy_is_trusted(client, settings):
    settings.NUM_PROXIES = 0
    first = client.get("/health/live/", HTTP_X_REQUEST_ID="forged-by-a-client")
    second = client.get("/api/v1/nope/")
    ids = [first["X-Request-ID"], second["X-Request-ID"]]
    assert "forged-by-a-client" not in ids
    assert all(len(value) == 32 for value in ids) and ids[0] != ids[1]
    assert second.status_code == 404 and second.json()["code"] == "not_found"


def test_a_trusted_proxys_request_id_is_kept_and_a_malformed_one_replaced(client, settings):
    settings.NUM_PROXIES = 1
    assert client.get("/health/live/", HTTP_X_REQUEST_ID="edge-7f3a.42")["X-Request-ID"] == "edge-7f3a.42"
    injected = client.get("/health/live/", HTTP_X_REQUEST_ID='x" \n{"level": "ERROR"}')["X-Request-ID"]
    assert len(injected) == 32 and "\n" not in injected


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "127.0.0.53"])
def test_metrics_answer_loopback(client, address):
    response = client.get("/metrics", REMOTE_ADDR=address)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response["X-Request-ID"]
    names = {name for name, _, _ in Samples(response.content.decode()).samples}
    assert {"uploads_queue_depth", "uploads_queue_oldest_pending_age_seconds"} <= names


@pytest.mark.parametrize("address", ["203.0.113.9", "10.0.0.5", "", "not-an-address"])
def test_metrics_answer_404_to_anyone_else(client, address, settings):
    settings.METRICS_ALLOWED_IPS = ["192.0.2.0/24"]
    response = client.get("/metrics", REMOTE_ADDR=address, HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not found.", "errors": {}}
    assert b"uploads_" not in response.content


def test_metrics_answer_the_allowed_addresses_and_networks(client, settings):
    settings.METRICS_ALLOWED_IPS = ["192.0.2.0/24", "198.51.100.7"]
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.200").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="198.51.100.7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="198.51.100.8").status_code == 404


def test_metrics_are_answered_whatever_the_host_header_before_the_https_redirect(client, settings):
    # Prometheus scrapes web:8000 by its container name over plain HTTP.
    settings.ALLOWED_HOSTS = ["uploads.example.test"]
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/metrics", HTTP_HOST="web:8000").status_code == 200
    assert client.get("/health/live/", HTTP_HOST="web:8000").status_code == 400


def test_a_refused_upload_is_counted_by_its_code(auth_client, settings):
    settings.FILES_MAX_UPLOAD_SIZE = 1000
    before = UPLOADS_REFUSED.labels("file_too_large")._value.get()
    response = upload(auth_client, samples.random_bytes(2000), "big.bin")
    assert response.status_code == 413
    assert UPLOADS_REFUSED.labels("file_too_large")._value.get() == before + 1
    wrong = auth_client.post(UPLOAD, {"file": "x"}, format="json")
    assert wrong.json()["code"] == "unsupported_media_type"


def test_json_lines_carry_the_request_id_and_user_of_the_request(auth_client, user):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.ContextFilter())
    request_logger = logging.getLogger("api.request")
    request_logger.addHandler(handler)
    try:
        response = upload(auth_client, b"hello\n", "a.txt")
    finally:
        request_logger.removeHandler(handler)
    assert response.status_code == 201
    [line] = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert line["request_id"] == response["X-Request-ID"]
    assert line["user_id"] == str(user.pk)
    assert (line["logger"], line["level"], line["route"], line["method"], line["status"]) == (
        "api.request", "INFO", "file-upload", "POST", 201)
    assert line["message"].startswith("POST file-upload 201 ")
    assert "a.txt" not in stream.getvalue() and "/api/v1/upload/" not in stream.getvalue()


def test_json_formatter_writes_one_line_with_the_exception():
    try:
        raise ValueError("broken\nline")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed %s", ("here",), sys.exc_info())
    logs.ContextFilter().filter(record)
    text = logs.JsonFormatter().format(record)
    assert "\n" not in text
    entry = json.loads(text)
    assert entry["message"] == "failed here" and "ValueError: broken" in entry["exception"]
    assert "request_id" not in entry  # None values are left out


def test_request_metrics_label_routes_and_methods_from_small_sets(client):
    client.generic("BREW", "/api/v1/files/")
    client.get("/no/such/page/")
    text = client.get("/metrics").content.decode()
    samples = Samples(text)
    assert samples.total("uploads_http_request_duration_seconds_count", route="file-list", method="other") >= 1
    assert samples.total("uploads_http_request_duration_seconds_count", route="unmatched", status="404") >= 1
    assert "BREW" not in text and "/no/such/page/" not in text
