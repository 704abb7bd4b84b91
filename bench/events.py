"""Events: upload → ``file.processed`` on an open stream, the API with open streams, webhook deliveries/s."""

import json
import statistics
import threading
import time
from datetime import datetime

import requests

from testing.receivers import webhook_receiver
from testing.sse import EventStreamReader

from .e2e import probes_under_load, small_jpeg
from .loadgen import upload_once
from .report import median, percentile, table, verdict
from .stack import Stack, Web

TARGET_IDLE_P50_MS = 100
STREAM = "/api/v1/events/stream/"


def _stream_probe(web: Web, stream: EventStreamReader, token: str, content: bytes) -> tuple[float, float]:
    """Milliseconds from sending an upload to its ``file.processed`` arriving on the open stream, and
    from the worker's ``processed_at`` (its commit, to within a millisecond) to the arrival."""
    sent = time.monotonic()
    status, body = upload_once(f"{web.url}/api/v1/upload/", token, content, "probe.jpg")
    if status != 201:
        raise RuntimeError(f"probe upload answered {status}: {body[:300]!r}")
    file_id = json.loads(body)["id"]
    while True:
        event = stream.next(timeout=30)
        if event.event == "file.processed" and event.json()["file"]["id"] == file_id:
            arrived_wall = time.time() - (time.monotonic() - event.received_at)
            processed_at = datetime.fromisoformat(event.json()["file"]["processed_at"]).timestamp()
            return (event.received_at - sent) * 1000, (arrived_wall - processed_at) * 1000


def stream_latency(stack: Stack, web: Web, events: Web, token: str, tokens_file: str, *, probes: int,
                   load_seconds: float, clients: int, load_size: int = 10 * 1024) -> str:
    content = small_jpeg()
    with EventStreamReader(f"{events.url}{STREAM}", headers={"Authorization": f"Bearer {token}"}) as stream:
        _stream_probe(web, stream, token, content)  # warm
        idle = [_stream_probe(web, stream, token, content) for _ in range(probes)]
        busy, background = probes_under_load(web, tokens_file, lambda: _stream_probe(web, stream, token, content),
                                              probes=probes, load_seconds=load_seconds, load_size=load_size,
                                              clients=clients)
    def row(name, probes, target):
        total, notify = [p[0] for p in probes], [p[1] for p in probes]
        return [name, len(probes), median(total), percentile(total, 0.95), median(notify),
                percentile(notify, 0.95), target]

    rows = [
        row("idle", idle, verdict(median([p[0] for p in idle]) < TARGET_IDLE_P50_MS)),
        row(f"under load ({clients} clients × {load_size // 1024} KiB, {background.get('rps', 0):.0f} uploads/s)",
            busy, ""),
    ]
    return "\n".join([
        "A 640×480 JPEG uploaded through gunicorn, processed by the images worker; latency from sending the "
        "upload to `file.processed` arriving on a stream open on the events service (uvicorn, LISTEN/NOTIFY), "
        "and the part of it from the worker's `processed_at` to the arrival (commit, NOTIFY, the stream's "
        f"read and send). Target: idle p50 < {TARGET_IDLE_P50_MS} ms (upload to arrival).\n",
        table(["condition", "probes", "upload→stream p50 ms", "p95 ms", "processed_at→stream p50 ms", "p95 ms",
               "target"], rows),
    ])


def _p50(url: str, token: str, samples: int) -> float:
    timings = []
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {token}"
        for _ in range(samples):
            started = time.monotonic()
            assert session.get(url, timeout=30).status_code == 200
            timings.append((time.monotonic() - started) * 1000)
    return statistics.median(timings)


def api_with_streams(web: Web, events: Web, tokens: list[str], *, streams: int, samples: int) -> str:
    listing = "/api/v1/files/?page_size=20"
    targets = {"gunicorn (production API)": web.url, "uvicorn core.asgi (make run, the stream's own process)":
               events.url}
    before = {name: _p50(base + listing, tokens[0], samples) for name, base in targets.items()}
    opened = []
    try:
        for i in range(streams):
            opened.append(EventStreamReader(f"{events.url}{STREAM}",
                                            headers={"Authorization": f"Bearer {tokens[i % len(tokens)]}"}))
        assert {s.status_code for s in opened} == {200}
        after = {name: _p50(base + listing, tokens[0], samples) for name, base in targets.items()}
    finally:
        for stream in opened:
            stream.close()
    rows = [[name, before[name], after[name]] for name in targets]
    return "\n".join([
        f"`GET /api/v1/files/?page_size=20` p50 over {samples} sequential requests, before and while "
        f"{streams} streams are open on the uvicorn process.\n",
        table(["API served by", "p50 ms, 0 streams", f"p50 ms, {streams} streams"], rows),
    ])


def webhook_rate(user, *, deliveries: int) -> str:
    from webhooks import services

    with webhook_receiver() as receiver:
        endpoint = services.endpoint_create(owner=user, url=receiver.url, events=["file.created"])
        body = json.dumps({"id": "bench", "type": "file.created"})
        from webhooks.publishing import enqueue_delivery

        started = time.monotonic()
        publishers = [threading.Thread(target=lambda n=n: enqueue_delivery(
            endpoint_id=str(endpoint.pk), message_id=f"bench-{n}", event_type="file.created", body=body))
            for n in range(deliveries)]
        for thread in publishers:
            thread.start()
        for thread in publishers:
            thread.join()
        for _ in range(deliveries):
            receiver.next(timeout=60)
        elapsed = time.monotonic() - started
    return "\n".join([
        f"{deliveries} signed deliveries published to the `webhooks` queue, delivered by one worker process "
        "(`-c 1`) to a receiver on loopback (SSRF checks, signing and the delivery log included).\n",
        table(["deliveries", "seconds", "deliveries/s"], [[deliveries, elapsed, deliveries / elapsed]]),
    ])
