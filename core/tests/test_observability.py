"""Metrics and logs of real processes: gunicorn (2 workers) and a Celery worker (a pool of 2).

What an operator sees after a handful of uploads: ``/metrics`` parsed with
prometheus-client's own parser adds up every process's counters, the queue
gauges come from the database, and JSON log lines carry the request id from
the response header through the web process into the task that processed
the file.
"""

import json
from collections import Counter
from urllib.parse import urlsplit, urlunsplit

import pytest

from files.publishing import file_queues
from testing import samples
from testing.clients import LiveClient
from testing.live import gunicorn_server, shared_database_url
from testing.metrics import scrape
from testing.network import TcpProxy
from testing.processes import free_port
from testing.workers import celery_worker, stack_env

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

MAX_UPLOAD = 65_536



def json_lines(text: str) -> list[dict]:
    """The JSON log lines of a process's output (gunicorn's access lines and Celery's banner are not JSON)."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_metrics_add_up_across_processes_and_logs_follow_a_request_into_its_task(broker_url, tmp_path, media_root):
    var_dir = tmp_path / "var"
    worker_port = free_port()
    env = stack_env(var_dir=var_dir, media_root=media_root, broker_url=broker_url, LOG_FORMAT="json",
                    FILES_MAX_UPLOAD_SIZE=str(MAX_UPLOAD), CELERY_METRICS_PORT=str(worker_port))
    contents = {"photo.png": samples.png(), "photo.jpg": samples.jpeg_rotated(), "notes.txt": samples.utf8_text(),
                "people.csv": samples.csv_bytes(), "doc.pdf": samples.pdf()}
    with gunicorn_server(var_dir=var_dir, media_root=media_root, env=env, workers=2) as server:
        client = LiveClient(server.url, "observer")
        answered = Counter()
        client.session.hooks["response"].append(
            lambda response, **kwargs: answered.update([(response.request.method, response.status_code)]))
        user_id = client.session.get(f"{server.url}/api/v1/users/me/", timeout=10).json()["id"]

        created = {name: client.session.post(f"{server.url}/api/v1/upload/", files={"file": (name, content)},
                                             timeout=30) for name, content in contents.items()}
        assert {name: r.status_code for name, r in created.items()} == dict.fromkeys(contents, 201)
        files = {name: r.json() for name, r in created.items()}
        refused = [client.session.post(f"{server.url}/api/v1/upload/", timeout=30,
                                       files={"file": ("big.bin", samples.random_bytes(size))})
                   for size in (MAX_UPLOAD + 1024, 2 * MAX_UPLOAD)]
        assert [(r.status_code, r.json()["code"]) for r in refused] == [(413, "file_too_large")] * 2

        # No worker yet: the database says what waits in each queue, and for how long.
        waiting = scrape(f"{server.url}/metrics")
        assert waiting.by("uploads_queue_depth", "queue") == {"images": 2, "default": 2, "documents": 1, "media": 0}
        assert waiting.by("uploads_files_processing", "queue") == {
            "images": 0, "default": 0, "documents": 0, "media": 0}
        assert waiting.total("uploads_queue_oldest_pending_age_seconds", queue="images") > 0

        with celery_worker(queues=file_queues(), env=env, log_dir=var_dir, name="all", concurrency=2) as worker:
            finished = {name: client.wait_finished(body["id"]) for name, body in files.items()}
            processed_metrics = scrape(f"http://127.0.0.1:{worker_port}/metrics")
        web = scrape(f"{server.url}/metrics")
        worker_log = worker.text()
        web_log = server.log.read_text(errors="replace")

    assert {name: body["status"] for name, body in finished.items()} == dict.fromkeys(contents, "processed")
    kinds = {"image": 2, "text": 2, "document": 1}

    # Uploads, summed over both gunicorn workers' files.
    assert web.by("uploads_upload_accepted_total", "kind") == kinds
    assert web.by("uploads_upload_refused_total", "code") == {"file_too_large": 2}
    received = Counter()
    for name, body in files.items():
        received[body["kind"]] += len(contents[name])
    assert web.by("uploads_upload_received_bytes_total", "kind") == dict(received)
    assert web.by("uploads_file_transitions_total", "kind", status="pending") == kinds
    # Every request the client made, by method and status: registering and logging in
    # (before the hook counted), then the rest; the health checks and scrapes are not the client's.
    requests_by_status = Counter({("POST", "201"): 1, ("POST", "200"): 1})
    for method, status in answered.elements():
        requests_by_status[(method, str(status))] += 1
    counted = Counter()
    for sample, labels, value in web.samples:
        if sample == "uploads_http_request_duration_seconds_count" and labels["route"] != "health-live":
            counted[(labels["method"], labels["status"])] += int(value)
    assert counted == requests_by_status
    polls = answered[("GET", 200)] - 1  # every GET but /users/me/ polled a file
    assert web.total("uploads_http_request_duration_seconds_count", route="file-detail", method="GET",
                     status="200") == polls
    assert web.total("uploads_http_request_duration_seconds_count", route="file-upload", status="413") == 2
    assert "/api/v1/files/" not in " ".join(str(labels) for _, labels, _ in web.samples)  # routes, never paths
    # The queues are empty again.
    assert web.by("uploads_queue_depth", "queue") == {"images": 0, "default": 0, "documents": 0, "media": 0}
    assert web.by("uploads_queue_oldest_pending_age_seconds", "queue") == {
        "images": 0, "default": 0, "documents": 0, "media": 0}

    # Processing, summed over the worker's pool processes.
    assert processed_metrics.by("uploads_processing_duration_seconds_count", "kind", outcome="processed") == kinds, (
        processed_metrics.text)
    assert processed_metrics.by("uploads_file_transitions_total", "kind", status="processing") == kinds
    assert processed_metrics.by("uploads_file_transitions_total", "kind", status="processed") == kinds
    assert processed_metrics.total("uploads_file_transitions_total", status="failed") == 0

    # Logs: every response names its request id, and the JSON lines carry it.
    web_lines, worker_lines = json_lines(web_log), json_lines(worker_log)
    request_ids = [r.headers["X-Request-ID"] for r in (*created.values(), *refused)]
    assert len(set(request_ids)) == len(request_ids)
    refused_id = refused[0].headers["X-Request-ID"]
    refused_lines = [line for line in web_lines if line.get("request_id") == refused_id]
    assert [(line["logger"], line["status"], line["route"], line["user_id"]) for line in refused_lines] == [
        ("api.request", 413, "file-upload", user_id)]
    assert not [line for line in worker_lines if line.get("request_id") == refused_id]

    pdf = created["doc.pdf"]
    pdf_id, file_id = pdf.headers["X-Request-ID"], files["doc.pdf"]["id"]
    assert urlsplit(pdf.headers["Location"]).path == f"/api/v1/files/{file_id}/"
    upload_lines = [line for line in web_lines if line.get("request_id") == pdf_id]
    assert [(line["logger"], line["status"], line["user_id"]) for line in upload_lines] == [
        ("api.request", 201, user_id)]
    task_lines = [line for line in worker_lines if line.get("request_id") == pdf_id]
    assert any(line["message"].startswith(f"Processing file {file_id} from queue documents ") for line in task_lines), (
        worker_log[-3000:])
    assert {(line["file_id"], line["user_id"]) for line in task_lines} == {(file_id, user_id)}
    # The one grep: that file's lines all carry the request that uploaded it.
    assert all(line.get("request_id") == pdf_id for line in worker_lines if line.get("file_id") == file_id)


def test_metrics_still_answer_while_the_database_is_down(transactional_db, tmp_path, media_root):
    database = urlsplit(shared_database_url())
    proxy = TcpProxy(port=free_port(), target=(database.hostname, database.port or 5432))
    proxied = urlunsplit(database._replace(netloc=f"{database.username}@127.0.0.1:{proxy.port}"))
    proxy.start()
    try:
        with gunicorn_server(var_dir=tmp_path / "var", media_root=media_root, workers=1,
                             env={"DATABASE_URL": proxied, "DB_CONN_MAX_AGE": "60", "LOG_FORMAT": "json"}) as server:
            before = scrape(f"{server.url}/metrics")
            proxy.stop()
            during = scrape(f"{server.url}/metrics")
            proxy.start()
            after = scrape(f"{server.url}/metrics")
            log = server.log.read_text(errors="replace")
    finally:
        proxy.stop()
    assert before.by("uploads_queue_depth", "queue") == {"images": 0, "default": 0, "documents": 0, "media": 0}
    # The process's own metrics answer; the database's gauges are left out rather than failing the scrape.
    assert during.total("uploads_http_request_duration_seconds_count", route="health-live") >= 1
    assert during.by("uploads_queue_depth", "queue") == {}
    assert "Cannot read the queue gauges from the database" in log
    assert after.by("uploads_queue_depth", "queue") == {"images": 0, "default": 0, "documents": 0, "media": 0}
