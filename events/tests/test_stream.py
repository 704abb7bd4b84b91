"""The live stream served as ``make run`` serves it: uvicorn, core.asgi, the test database.

Events reach an open stream through PostgreSQL LISTEN/NOTIFY; the upload and
the processing happen in this process (committed, so the server sees them).
"""

import json
import time

import pytest
import requests

from files.models import File
from testing.clients import bearer
from testing.factories import PASSWORD, UserFactory
from testing.live import uvicorn_server
from testing.sse import EventStreamReader
from testing.uploads import process_inline

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
STREAM = "/api/v1/events/stream/"


@pytest.fixture
def server(tmp_path, media_root):
    with uvicorn_server(var_dir=tmp_path / "var", media_root=media_root) as live:
        yield live


def ticket(server, user) -> str:
    answer = requests.post(f"{server.url}/api/v1/events/ticket/", headers={"Authorization": bearer(user)}, timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()["ticket"]


def upload(server, user, content: bytes, name: str) -> dict:
    answer = requests.post(f"{server.url}/api/v1/upload/", files={"file": (name, content)},
                           headers={"Authorization": bearer(user)}, timeout=30)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_stream_delivers_created_then_processed_within_a_fraction_of_a_second(server):
    user = UserFactory()
    with EventStreamReader(f"{server.url}{STREAM}?ticket={ticket(server, user)}") as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert stream.headers["cache-control"] == "no-cache, no-store"
        time.sleep(0.5)  # the stream is listening (its first read happened)
        sent = time.monotonic()
        created = upload(server, user, b"some words\n", "a.txt")
        event = stream.next()
        assert (event.event, json.loads(event.data)["type"]) == ("file.created", "file.created")
        assert json.loads(event.data)["file"] == created and json.loads(event.data)["id"] == event.id
        assert event.received_at - sent < 2.0  # upload round trip included
        before = time.monotonic()
        process_inline(created["id"])
        processed = stream.next()
        latency = processed.received_at - before
        print(f"commit of file.processed -> open stream: {latency * 1000:.0f} ms")
        assert processed.event == "file.processed" and int(processed.id) > int(event.id)
        assert json.loads(processed.data)["file"]["status"] == "processed"
        assert latency < 0.5
        assert stream.events.empty()


def test_a_used_or_bad_ticket_and_no_credentials_are_401(server):
    user = UserFactory()
    used = ticket(server, user)
    with EventStreamReader(f"{server.url}{STREAM}?ticket={used}") as first:
        assert first.status_code == 200
    for url in (f"{STREAM}?ticket={used}", f"{STREAM}?ticket=made-up", STREAM):
        answer = requests.get(f"{server.url}{url}", timeout=10)
        assert answer.status_code == 401, url
        assert answer.json()["code"] == "not_authenticated"
    bad = requests.get(f"{server.url}{STREAM}", headers={"Authorization": "Bearer not.a.token"}, timeout=10)
    assert bad.status_code == 401


def test_bearer_stream_resumes_after_last_event_id_without_repeats(server):
    user = UserFactory()
    first = upload(server, user, b"one\n", "1.txt")
    second = upload(server, user, b"two two\n", "2.txt")
    process_inline(first["id"])
    feed = requests.get(f"{server.url}/api/v1/events/", headers={"Authorization": bearer(user)}, timeout=10).json()
    ids = [e["id"] for e in feed["results"]]
    assert len(ids) == 3
    headers = {"Authorization": bearer(user), "Last-Event-ID": ids[0]}
    with EventStreamReader(f"{server.url}{STREAM}", headers=headers) as stream:
        missed = [stream.next(), stream.next()]
        assert [e.id for e in missed] == ids[1:]
        assert [json.loads(e.data)["file"]["id"] for e in missed] == [second["id"], first["id"]]
        requests.delete(f"{server.url}/api/v1/files/{second['id']}/", headers={"Authorization": bearer(user)},
                        timeout=10)
        deleted = stream.next()
        assert deleted.event == "file.deleted" and json.loads(deleted.data)["file"] == {"id": second["id"]}
        time.sleep(0.5)
        assert stream.events.empty()
    # Without Last-Event-ID or after, a stream starts from now.
    with EventStreamReader(f"{server.url}{STREAM}?ticket={ticket(server, user)}") as fresh:
        time.sleep(0.5)
        assert fresh.events.empty()
    with EventStreamReader(f"{server.url}{STREAM}?ticket={ticket(server, user)}&after={ids[1]}") as after:
        assert after.next().id == ids[2]
    assert requests.get(f"{server.url}{STREAM}?after=abc", headers={"Authorization": bearer(user)},
                        timeout=10).status_code == 400


def test_streams_see_only_their_owners_events(server):
    alice, bob = UserFactory(), UserFactory()
    with EventStreamReader(f"{server.url}{STREAM}?ticket={ticket(server, bob)}") as bobs:
        time.sleep(0.5)
        upload(server, alice, b"private\n", "a.txt")
        mine = upload(server, bob, b"mine\n", "b.txt")
        event = bobs.next()
        assert json.loads(event.data)["file"]["id"] == mine["id"]
        time.sleep(0.5)
        assert bobs.events.empty()
    assert File.objects.count() == 2
    assert PASSWORD
