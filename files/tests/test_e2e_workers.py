"""End to end with real processes: gunicorn, Celery workers on the real queues, Redis.

These prove the invariants that only real processes can: routing by queue,
an upload surviving a dead broker, and a worker killed mid-task.
"""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings

from files.models import File, Status
from testing import samples
from testing.brokers import queue_length
from testing.clients import LiveClient as Client
from testing.live import gunicorn_server
from testing.processes import free_port, stop_process
from testing.workers import celery_worker, stack_env

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PROCESS_TIMEOUT = 60



@pytest.fixture
def stack_dirs(tmp_path, media_root):
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    return var_dir, media_root


def test_uploads_of_every_kind_become_processed(broker_url, stack_dirs):
    var_dir, media_root = stack_dirs
    env = stack_env(var_dir=var_dir, media_root=media_root, broker_url=broker_url)
    with gunicorn_server(var_dir=var_dir, media_root=media_root, env=env) as server, \
            celery_worker(queues=["default", "images", "documents"], env=env, log_dir=var_dir, name="all"):
        client = Client(server.url)
        uploads = {
            "image": client.upload(samples.jpeg_rotated(), "photo.jpg"),
            "text": client.upload(samples.csv_bytes(), "people.csv"),
            "document": client.upload(samples.pdf(pages=2), "doc.pdf"),
            "archive": client.upload(samples.zip_bytes(entries=2), "a.zip"),
            "other": client.upload(samples.random_bytes(), "blob.bin"),
        }
        assert all(body["status"] == "pending" for body in uploads.values())
        finished = {kind: client.wait_finished(body["id"]) for kind, body in uploads.items()}
        thumbnail = client.session.get(finished["image"]["result"]["thumbnail"], timeout=10)

    assert {kind: (body["kind"], body["status"], body["processed"]) for kind, body in finished.items()} == {
        kind: (kind, "processed", True) for kind in uploads}
    assert finished["image"]["result"]["width"] == 40
    assert finished["text"]["result"]["rows"] == 4
    assert finished["document"]["result"]["pages"] == 2
    assert finished["archive"]["result"]["entries"] == 2
    assert finished["other"]["result"] == {}
    assert thumbnail.status_code == 200 and thumbnail.headers["Content-Type"] == "image/webp"


def test_a_worker_on_the_images_queue_only_receives_image_jobs(broker_url, stack_dirs):
    var_dir, media_root = stack_dirs
    env = stack_env(var_dir=var_dir, media_root=media_root, broker_url=broker_url)
    with gunicorn_server(var_dir=var_dir, media_root=media_root, env=env) as server:
        client = Client(server.url)
        with celery_worker(queues=["images"], env=env, log_dir=var_dir, name="images") as images_worker:
            image = client.upload(samples.png(), "a.png")
            text = client.upload(b"some words\n", "a.txt")
            document = client.upload(samples.pdf(), "a.pdf")
            assert client.wait_finished(image["id"])["status"] == "processed"
            time.sleep(1.0)  # time enough for a wrongly routed job to be picked up
            assert client.get(text["id"])["status"] == "pending"
            assert client.get(document["id"])["status"] == "pending"
            assert queue_length(broker_url, "default") == 1
            assert queue_length(broker_url, "documents") == 1
        images_log = images_worker.text()
        with celery_worker(queues=["default", "documents"], env=env, log_dir=var_dir, name="rest") as rest_worker:
            assert client.wait_finished(text["id"])["status"] == "processed"
            assert client.wait_finished(document["id"])["status"] == "processed"
        rest_log = rest_worker.text()

    assert f"Processing file {image['id']} from queue images" in images_log
    assert text["id"] not in images_log and document["id"] not in images_log
    assert f"Processing file {text['id']} from queue default" in rest_log
    assert f"Processing file {document['id']} from queue documents" in rest_log
    assert image["id"] not in rest_log


def test_upload_while_the_broker_is_down_is_201_and_processed_after_it_returns(stack_dirs):
    var_dir, media_root = stack_dirs
    port = free_port()
    broker_url = f"redis://127.0.0.1:{port}/0"
    env = stack_env(var_dir=var_dir, media_root=media_root, broker_url=broker_url, FILES_SWEEP_PENDING_AFTER="0")
    with gunicorn_server(var_dir=var_dir, media_root=media_root, env=env) as server:
        client = Client(server.url)
        started = time.monotonic()
        created = client.upload(samples.png(), "while-down.png", timeout=30)
        elapsed = time.monotonic() - started
        assert created["status"] == "pending"
        assert elapsed < 15, f"the upload waited {elapsed:.1f}s on the dead broker"
        assert "Could not publish processing" in server.log_tail(200)

        broker = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                   "--appendonly", "no"], stdout=subprocess.DEVNULL, start_new_session=True)
        try:
            with celery_worker(queues=["default", "images", "documents"], env=env, log_dir=var_dir, name="late"):
                time.sleep(1.0)
                assert client.get(created["id"])["status"] == "pending"  # nothing was published
                sweep = subprocess.run([sys.executable, "manage.py", "sweep_files"], cwd=settings.BASE_DIR,
                                       env=env, capture_output=True, text=True, timeout=60)
                assert sweep.returncode == 0, sweep.stderr
                assert "requeued 1" in sweep.stdout
                finished = client.wait_finished(created["id"])
        finally:
            stop_process(broker)
    assert finished["status"] == "processed"
    assert finished["result"]["format"] == "PNG"


def big_csv(rows: int) -> bytes:
    return b"".join(b"%d,name-%d,city-%d\n" % (i, i, i % 97) for i in range(rows))


def test_a_worker_killed_mid_task_still_processes_the_file_exactly_once(broker_url, stack_dirs):
    var_dir, media_root = stack_dirs
    env = stack_env(var_dir=var_dir, media_root=media_root, broker_url=broker_url)
    content = big_csv(3_500_000)  # ~90 MB: processing takes long enough to be caught mid-way
    with gunicorn_server(var_dir=var_dir, media_root=media_root, env=env) as server, \
            celery_worker(queues=["default"], env=env, log_dir=var_dir, name="victim") as worker:
        client = Client(server.url)
        created = client.upload(content, "big.csv", timeout=120)
        deadline = time.monotonic() + PROCESS_TIMEOUT
        # One read of the status per look: two queries could straddle the pending → processing change.
        while (status := File.objects.values_list("status", flat=True).get(pk=created["id"])) != Status.PROCESSING:
            assert time.monotonic() < deadline, "processing never started"
            assert status == Status.PENDING, "processing finished before the worker could be killed"
            time.sleep(0.005)
        children = worker.pool_children()
        assert len(children) == 1
        os.kill(children[0], signal.SIGKILL)
        finished = client.wait_finished(created["id"], timeout=120)
        log = worker.text()

    assert "WorkerLostError" in log or "signal 9" in log
    assert finished["status"] == "processed"
    assert finished["result"]["rows"] == 3_500_000
    record = File.objects.get(pk=created["id"])
    assert record.attempts == 2  # the killed run and the redelivered one
    assert record.claimed_by == ""
    assert log.count(f"Processing file {created['id']}") == 2
