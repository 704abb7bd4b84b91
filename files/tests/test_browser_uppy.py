"""Uppy 6 (@uppy/xhr-upload) in headless Chromium, on another origin than the API (make run's gunicorn
and a real Celery worker): an upload with Idempotency-Key, its thumbnail shown with <img src> from
the signed URL, a download whose name the page reads, and a 413 whose body the page reads.

The same page runs through the production nginx in core/tests/test_compose_smoke.py.
"""

import base64

import pytest
import requests
from django.conf import settings

from testing import samples
from testing.brokers import flush_redis
from testing.browser import chromium_page, screenshot, static_site
from testing.live import gunicorn_server
from testing.npm import build_uppy_page
from testing.workers import celery_worker, stack_env

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MAX_UPLOAD = 1_048_576
PASSWORD = "correct-horse-battery-42"


def register_and_login(api: str, username: str) -> str:
    """A new account's access token (as the SPA's login screen would get it)."""
    registered = requests.post(f"{api}/api/v1/auth/register/", timeout=10, json={
        "username": username, "email": f"{username}@example.com", "password": PASSWORD})
    assert registered.status_code == 201, registered.text
    tokens = requests.post(f"{api}/api/v1/auth/token/", json={"username": username, "password": PASSWORD},
                           timeout=10)
    return tokens.json()["access"]


def run_uppy_flow(page, *, origin: str, api: str, token: str, too_large: int) -> dict:
    """Drive the Uppy page at ``origin`` against ``api``; answers what the page saw."""
    page.goto(f"{origin}/index.html")
    png = base64.b64encode(samples.png((160, 90))).decode()
    upload = {"api": api, "token": token, "name": "uppy photo.png", "type": "image/png", "base64": png,
              "idempotencyKey": "uppy-photo-1"}
    first = page.evaluate("args => window.uploadWithUppy(args)", upload)
    repeat = page.evaluate("args => window.uploadWithUppy(args)", upload)
    file_id = first["uploaded"][0]["body"]["id"] if first["uploaded"] else None
    shown = page.evaluate("args => window.showThumbnail(args)", {"api": api, "token": token, "id": file_id}) \
        if file_id else None
    download = page.evaluate("args => window.fetchDownload(args)",
                             {"url": shown["file"]["download_url"]}) if shown else None
    refused = page.evaluate("args => window.uploadWithUppy(args)", {
        "api": api, "token": token, "name": "huge.bin", "type": "application/octet-stream",
        "randomSize": too_large})
    return {"first": first, "repeat": repeat, "shown": shown, "download": download, "refused": refused}


def assert_uppy_flow(seen: dict, *, refused_detail: str | None = None) -> None:
    first, repeat, shown = seen["first"], seen["repeat"], seen["shown"]
    assert first["errors"] == [] and first["failed"] == 0, first
    assert first["uploaded"][0]["status"] == 201
    assert first["uploaded"][0]["body"]["kind"] == "image"
    assert first["progressEvents"] > 0
    # The Idempotency-Key went through the preflight: the repeat answers the same file.
    assert repeat["errors"] == [], repeat
    assert repeat["uploaded"][0]["body"]["id"] == first["uploaded"][0]["body"]["id"]
    # The thumbnail, shown by <img src> from the signed URL (no token, no blob).
    assert shown["file"]["status"] == "processed", shown["file"]
    assert "/thumbnail/?sig=" in shown["file"]["thumbnail_url"]
    assert shown["image"] == {"loaded": True, "width": 160, "height": 90}
    # The signed download, fetched cross-origin, with the name the page can read.
    assert seen["download"]["status"] == 200
    assert seen["download"]["disposition"] == (
        "attachment; filename=\"uppy photo.png\"; filename*=UTF-8''uppy%20photo.png")
    # The 413's body, read by the page (not status 0).
    refused = seen["refused"]
    assert refused["uploaded"] == [] and refused["failed"] == 1
    assert len(refused["errors"]) == 1, refused
    assert refused["errors"][0]["status"] == 413
    assert refused["errors"][0]["body"]["code"] == "file_too_large"
    if refused_detail is not None:
        assert refused["errors"][0]["body"]["detail"] == refused_detail


@pytest.fixture
def broker_url():
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis://"):
        pytest.skip("the browser flow needs the Redis broker (make test sets CELERY_BROKER_URL)")
    flush_redis(url)
    yield url
    flush_redis(url)


def test_uppy_on_another_origin_against_the_live_server(broker_url, tmp_path, media_root):
    var_dir = tmp_path / "var"
    site = build_uppy_page(tmp_path / "spa")
    with static_site(site) as origin:
        env = stack_env(var_dir=var_dir, media_root=media_root, broker_url=broker_url,
                        CORS_ALLOWED_ORIGINS=origin, FILES_MAX_UPLOAD_SIZE=str(MAX_UPLOAD))
        with gunicorn_server(var_dir=var_dir, media_root=media_root, env=env) as server, \
                celery_worker(queues=["default", "images", "documents"], env=env, log_dir=var_dir, name="uppy"), \
                chromium_page() as page:
            token = register_and_login(server.url, "uppy")
            console = []
            page.on("console", lambda message: console.append(message.text))
            seen = run_uppy_flow(page, origin=origin, api=server.url, token=token, too_large=3 * MAX_UPLOAD)
            screenshot(page, "uppy-live-server")
    assert_uppy_flow(seen)
    assert not any("CORS" in line for line in console), console
