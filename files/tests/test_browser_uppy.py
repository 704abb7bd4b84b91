"""Uppy 6 (@uppy/xhr-upload) in headless Chromium, on another origin than the API (make run's gunicorn
and a real Celery worker): an upload with Idempotency-Key, its thumbnail shown with <img src> from
the signed URL, a download whose name the page reads, and a 413 whose body the page reads.

The same page runs through the production nginx in core/tests/test_compose_smoke.py.
"""

import pytest

from testing.browser import chromium_page, screenshot, static_site
from testing.live import gunicorn_server
from testing.npm import build_uppy_page
from testing.spa import assert_uppy_flow, register_and_login, run_uppy_flow
from testing.workers import celery_worker, stack_env

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MAX_UPLOAD = 1_048_576



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
