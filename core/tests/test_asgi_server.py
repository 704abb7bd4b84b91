"""`make run`'s web server (uvicorn serving core.asgi): slow uploads, open streams and the API together.

gunicorn's sync workers killed an upload still arriving after 30 s and a
stream held a worker for its whole life; here an upload takes as long as its
bytes take, 50 open streams hold no worker, and the API answers meanwhile.
"""

import socket
import statistics
import threading
import time
import uuid

import pytest
import requests

from testing.clients import bearer
from testing.factories import UserFactory
from testing.live import uvicorn_server
from testing.sse import EventStreamReader

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SLOW_UPLOAD_SECONDS = 35
STREAMS = 50
SAMPLES = 20


def slow_multipart_upload(url: str, authorization: str, content: bytes, seconds: float) -> tuple[int, bytes]:
    """POST ``content`` as the multipart field ``file``, its body trickled over ``seconds``; (status, body)."""
    host, port = url.removeprefix("http://").split(":")
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.txt\"\r\n"
            f"Content-Type: text/plain\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    head = (f"POST /api/v1/upload/ HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: {authorization}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode()
    pieces = 36
    step = -(-len(body) // pieces)
    with socket.create_connection((host, int(port)), timeout=seconds + 30) as sock:
        sock.sendall(head)
        for start in range(0, len(body), step):
            sock.sendall(body[start:start + step])
            time.sleep(seconds / pieces)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    return status, answer.partition(b"\r\n\r\n")[2]


def p50(url: str, headers: dict) -> float:
    timings = []
    for _ in range(SAMPLES):
        started = time.monotonic()
        # A request that waited for a free worker would wait for a stream to end: it times out instead.
        assert requests.get(url, headers=headers, timeout=10).status_code == 200
        timings.append(time.monotonic() - started)
    return statistics.median(timings)


def test_slow_upload_open_streams_and_api_are_served_together(tmp_path, media_root):
    user = UserFactory()
    auth = {"Authorization": bearer(user)}
    with uvicorn_server(var_dir=tmp_path / "var", media_root=media_root, threads=4) as server:
        outcome = {}
        content = b"slowly arriving words\n" * 2000
        trickle = threading.Thread(target=lambda: outcome.update(
            answer=slow_multipart_upload(server.url, auth["Authorization"], content, SLOW_UPLOAD_SECONDS)))
        started = time.monotonic()
        trickle.start()
        listing = f"{server.url}/api/v1/files/"
        idle = p50(listing, auth)
        streams = [EventStreamReader(f"{server.url}/api/v1/events/stream/", headers=auth)
                   for _ in range(STREAMS)]
        try:
            assert {s.status_code for s in streams} == {200}
            busy = p50(listing, auth)
            print(f"\nGET /api/v1/files/ p50: {idle * 1000:.1f} ms with 0 open streams, "
                  f"{busy * 1000:.1f} ms with {STREAMS} open streams (and one upload trickling in)")
            trickle.join(timeout=SLOW_UPLOAD_SECONDS + 60)
            elapsed = time.monotonic() - started
            status, body = outcome["answer"]
            assert status == 201, body[:500]
            assert elapsed > 30  # longer than gunicorn's sync worker would have allowed
            # The upload reached every open stream of its owner, and the idle ones were kept alive.
            for stream in streams:
                assert stream.next(timeout=5).event == "file.created"
            assert streams[0].comments.get(timeout=5) == "keep-alive"
        finally:
            for stream in streams:
                stream.close()
        assert busy < 2.0, f"p50 with open streams: {busy:.3f}s"
