"""Sentry (SENTRY_DSN): an error of the live server reaches a Sentry endpoint without secrets.

The endpoint is a local HTTP receiver standing in for Sentry's ingestion API,
so what the SDK really sends over the wire is what is checked.
"""

import gzip
import http.server
import threading
import time

import pytest

from core.sentry import FILTERED, before_send
from testing.clients import LiveClient
from testing.live import gunicorn_server
from testing.processes import free_port

MARKER = b"file-contents-that-must-stay-home-4e1f"


class Receiver(http.server.ThreadingHTTPServer):
    """Accepts whatever the SDK posts and keeps the (decompressed) bodies."""

    def __init__(self, port: int):
        self.bodies: list[bytes] = []
        super().__init__(("127.0.0.1", port), ReceiverHandler)


class ReceiverHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.bodies.append(self.path.encode() + b"\n" + body)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = Receiver(free_port())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_server_error_reaches_sentry_without_tokens_bodies_or_signed_queries(receiver, tmp_path, media_root):
    # Storage that cannot be written (a file where the uploads folder goes): every upload crashes (500).
    (media_root / "uploads").write_text("")
    env = {"SENTRY_DSN": f"http://publickey@127.0.0.1:{receiver.server_port}/1"}
    with gunicorn_server(var_dir=tmp_path / "var", media_root=media_root, env=env, workers=1) as server:
        client = LiveClient(server.url, "sentry")
        token = client.session.headers["Authorization"].removeprefix("Bearer ")
        crashed = client.session.post(f"{server.url}/api/v1/upload/?sig=SIGNATURE-SECRET&ticket=TICKET-SECRET",
                                      files={"file": ("secret.txt", MARKER + b"\n")}, timeout=30)
        assert crashed.status_code == 500, crashed.text
        assert crashed.json()["code"] == "server_error"
        deadline = time.monotonic() + 15
        while not any(b'"exception"' in body for body in receiver.bodies) and time.monotonic() < deadline:
            time.sleep(0.2)

    events = [body for body in receiver.bodies if b'"exception"' in body]
    assert events, (receiver.bodies, server.log_tail())
    sent = b"\n".join(receiver.bodies)
    assert b"/api/1/envelope/" in sent
    assert b"NotADirectoryError" in sent or b"FileExistsError" in sent, sent[:3000]
    # The event names the request (its id, as in the logs), with the credentials masked.
    assert crashed.headers["X-Request-ID"].encode() in sent
    assert b'"Authorization":"[Filtered]"' in sent and b'"query_string":"sig=%5BFiltered%5D' in sent
    for secret in (token.encode(), MARKER, b"SIGNATURE-SECRET", b"TICKET-SECRET", b"correct-horse-battery"):
        assert secret not in sent, secret


def test_before_send_strips_bodies_credentials_and_signed_query_strings():
    event = {
        "request": {
            "url": "https://uploads.example.test/api/v1/files/1/download/?sig=abc&x=1",
            "query_string": "sig=abc&ticket=t0&page=2",
            "data": {"password": "hunter2"},
            "cookies": {"sessionid": "s"},
            "headers": {"Authorization": "Bearer eyJ", "Cookie": "sessionid=s", "User-Agent": "app/1.0",
                        "X-Csrftoken": "c"},
        },
        "breadcrumbs": {"values": [{"data": {"url": "http://h/events/stream/?ticket=t1"}}]},
    }
    cleaned = before_send(event, {})
    request = cleaned["request"]
    assert "data" not in request and "cookies" not in request
    assert request["headers"] == {"Authorization": FILTERED, "Cookie": FILTERED, "User-Agent": "app/1.0",
                                  "X-Csrftoken": FILTERED}
    assert request["query_string"] == "sig=%5BFiltered%5D&ticket=%5BFiltered%5D&page=2"
    assert request["url"].endswith("/download/?sig=%5BFiltered%5D&x=1")
    assert cleaned["breadcrumbs"]["values"][0]["data"]["url"] == "http://h/events/stream/?ticket=%5BFiltered%5D"
    assert "abc" not in str(cleaned) and "hunter2" not in str(cleaned) and "eyJ" not in str(cleaned)
