"""Resumable uploads against real processes (gunicorn, a Celery worker) on local disk and S3:
a PATCH whose connection is cut half-way, then resumed; tuspy uploading in chunks.
Each ends with a processed File whose sha256 is that of the bytes sent."""

import contextlib
import hashlib
import io
import json
import shutil
import signal
import socket
import subprocess
import time
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from files.publishing import file_queues
from testing import samples
from testing.brokers import flush_redis
from testing.browser import chromium_page
from testing.live import gunicorn_server
from testing.static_site import static_site
from testing.tus import LiveAccount
from testing.workers import celery_worker, stack_env

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MIB = 1024 * 1024
TUS = {"Tus-Resumable": "1.0.0"}


@contextlib.contextmanager
def running_stack(backend, var_dir, media_root, **extra_env):
    """gunicorn and one worker of every queue on ``backend``, with the Redis broker of the run."""
    broker_url = settings.CELERY_BROKER_URL
    if not broker_url.startswith("redis://"):
        pytest.skip("end-to-end tests need the Redis broker (make test sets CELERY_BROKER_URL)")
    flush_redis(broker_url)
    env = stack_env(var_dir=var_dir, media_root=media_root, broker_url=broker_url,
                    **backend.environment(), **extra_env)
    try:
        with gunicorn_server(var_dir=var_dir, media_root=media_root, env=env) as server, \
                celery_worker(queues=file_queues(), env=env, log_dir=var_dir, name="tus"):
            yield server
    finally:
        flush_redis(broker_url)


@pytest.fixture
def live_stack(storage_backend, tmp_path, media_root):
    with running_stack(storage_backend, tmp_path / "var", media_root) as server:
        yield server


def create(account: LiveAccount, length: int) -> str:
    response = account.session.post(f"{account.base}/api/v1/uploads/", timeout=10, headers={
        **TUS, "Upload-Length": str(length), "Upload-Metadata": "filename Y3V0LmJpbg=="})
    assert response.status_code == 201, response.text
    return response.headers["Location"]


def offset_of(account: LiveAccount, url: str) -> int:
    response = account.session.head(url, headers=TUS, timeout=10)
    assert response.status_code == 200, response.text
    return int(response.headers["Upload-Offset"])


def patch_cut_after(account: LiveAccount, url: str, offset: int, body: bytes, cut_at: int) -> None:
    """Send a PATCH declaring all of ``body`` on a raw socket, and close it after ``cut_at`` bytes."""
    parts = urlsplit(url)
    head = (f"PATCH {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: {account.authorization}\r\n"
            f"Tus-Resumable: 1.0.0\r\nUpload-Offset: {offset}\r\nContent-Type: application/offset+octet-stream\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as connection:
        connection.sendall(head + body[:cut_at])
        time.sleep(0.3)  # the bytes reach the server before the connection goes


def test_a_patch_cut_half_way_keeps_what_arrived_and_resumes(live_stack):
    account = LiveAccount(live_stack.url)
    content = samples.random_bytes(12 * MIB + 5, seed=11)
    url = create(account, len(content))
    patch_cut_after(account, url, 0, content[: 9 * MIB], cut_at=7 * MIB + 3)

    deadline = time.monotonic() + 20
    while (offset := offset_of(account, url)) != 7 * MIB + 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert offset == 7 * MIB + 3, live_stack.log_tail()

    response = account.session.patch(url, data=content[offset:], timeout=60, headers={
        **TUS, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})
    assert response.status_code == 204, response.text
    assert response.headers["Upload-Offset"] == str(len(content))
    finished = account.wait_finished(response.headers["File-Location"])
    assert (finished["status"], finished["size"]) == ("processed", len(content))
    assert finished["sha256"] == hashlib.sha256(content).hexdigest()
    downloaded = account.session.get(finished["file"], timeout=30)
    assert downloaded.content == content


def test_tuspy_uploads_in_chunks(live_stack):
    from tusclient.client import TusClient

    account = LiveAccount(live_stack.url)
    content = samples.random_bytes(6 * MIB + 17, seed=5)
    client = TusClient(f"{live_stack.url}/api/v1/uploads/", headers={"Authorization": account.authorization})
    uploader = client.uploader(file_stream=io.BytesIO(content), chunk_size=2 * MIB,
                               metadata={"filename": "data.bin"})
    uploader.upload()
    progress = account.session.get(uploader.url, headers=TUS, timeout=10).json()
    assert progress["offset"] == progress["length"] == len(content)
    finished = account.wait_finished(f"{live_stack.url}/api/v1/files/{progress['file']['id']}/")
    assert (finished["name"], finished["kind"], finished["status"]) == ("data.bin", "other", "processed")
    assert finished["sha256"] == hashlib.sha256(content).hexdigest()


def run_node_client(*args: str) -> tuple[int, list[dict]]:
    script = settings.BASE_DIR / "testing" / "js" / "tus_upload.mjs"
    done = subprocess.run(["node", str(script), *args], capture_output=True, text=True, timeout=120,
                          cwd=script.parent)
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return done.returncode, events


@pytest.mark.parametrize("storage_backend", ["local"], indirect=True)
def test_tus_js_client_killed_part_way_resumes_from_its_stored_url(live_stack, tmp_path):
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed")
    account = LiveAccount(live_stack.url)
    content = samples.random_bytes(6 * MIB + 99, seed=21)
    path = tmp_path / "video.bin"
    path.write_bytes(content)
    storage = tmp_path / "tus-urls.json"
    common = [f"{live_stack.url}/api/v1/uploads/", account.token, str(path), str(storage), str(MIB)]

    code, first = run_node_client(*common, str(3 * MIB))
    assert code == -signal.SIGKILL, first
    assert [e["accepted"] for e in first if e["event"] == "chunk"] == [MIB, 2 * MIB, 3 * MIB]
    assert storage.exists()

    code, second = run_node_client(*common)
    assert code == 0, second
    assert second[0] == {"event": "resumed-from", "offset": 3 * MIB}
    assert second[-1]["event"] == "done"
    progress = account.session.get(second[-1]["url"], headers=TUS, timeout=10).json()
    finished = account.wait_finished(f"{live_stack.url}/api/v1/files/{progress['file']['id']}/")
    # The client's filetype metadata is ignored: the type comes from the bytes.
    assert (finished["name"], finished["status"], finished["content_type"]) == (
        "from-node.bin", "processed", "application/octet-stream")
    assert finished["sha256"] == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize("storage_backend", ["local"], indirect=True)
def test_uppy_in_a_browser_of_another_origin_uploads_with_progress(storage_backend, tmp_path, media_root):
    js = settings.BASE_DIR / "testing" / "js"
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(js / "uppy_page.html", site / "index.html")
    shutil.copy(js / "node_modules" / "uppy" / "dist" / "uppy.min.mjs", site / "uppy.min.mjs")
    content = samples.random_bytes(3 * MIB + 512, seed=33)
    (site / "payload.bin").write_bytes(content)

    with static_site(site) as origin, \
            running_stack(storage_backend, tmp_path / "var", media_root, CORS_ALLOWED_ORIGINS=origin) as server, \
            chromium_page() as page:
        account = LiveAccount(server.url)
        page.goto(f"{origin}/index.html")
        page.wait_for_function("window.ready === true")
        result = page.evaluate("([endpoint, token]) => window.uploadWithUppy(endpoint, token)",
                               [f"{server.url}/api/v1/uploads/", account.token])
        events = page.evaluate("window.events")
        assert result == {"successful": 1, "failed": 0}, events
        progress = [(done, total) for kind, done, total in (e for e in events if e[0] == "progress")]
        assert len(progress) >= 3, events  # one per chunk at least
        assert [done for done, _ in progress] == sorted(done for done, _ in progress)
        assert progress[-1] == (len(content), len(content))
        upload_url = next(e[1] for e in events if e[0] == "success")
        body = account.session.get(upload_url, headers=TUS, timeout=10).json()
        finished = account.wait_finished(f"{server.url}/api/v1/files/{body['file']['id']}/")
    assert (finished["name"], finished["status"]) == ("from-uppy.bin", "processed")
    assert finished["sha256"] == hashlib.sha256(content).hexdigest()


def test_chunked_patch_bodies_are_appended_and_one_past_the_length_is_refused(live_stack):
    account = LiveAccount(live_stack.url)
    content = samples.random_bytes(6 * MIB + 11, seed=44)
    url = create(account, len(content))
    octets = {**TUS, "Content-Type": "application/offset+octet-stream"}

    def pieces(data: bytes, size: int = 700_000):
        yield from (data[i:i + size] for i in range(0, len(data), size))

    first = account.session.patch(url, data=pieces(content[:4 * MIB]), timeout=60,
                                  headers={**octets, "Upload-Offset": "0"})
    assert first.status_code == 204, first.text
    assert first.request.headers["Transfer-Encoding"] == "chunked"
    assert first.headers["Upload-Offset"] == str(4 * MIB)
    too_long = account.session.patch(url, data=pieces(content[4 * MIB:] + b"extra"), timeout=60,
                                     headers={**octets, "Upload-Offset": str(4 * MIB)})
    assert (too_long.status_code, too_long.json()["code"]) == (400, "invalid")
    assert offset_of(account, url) == 4 * MIB
    last = account.session.patch(url, data=pieces(content[4 * MIB:]), timeout=60,
                                 headers={**octets, "Upload-Offset": str(4 * MIB)})
    assert last.status_code == 204, last.text
    finished = account.wait_finished(last.headers["File-Location"])
    assert finished["sha256"] == hashlib.sha256(content).hexdigest()
