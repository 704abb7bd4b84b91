"""Swagger UI in a real browser: it loads, lists the upload, and "Try it out" with a token uploads a file."""

import os

import pytest
import requests

from files.models import File, Status
from testing import samples
from testing.browser import chromium_page, screenshot
from testing.factories import PASSWORD, UserFactory
from testing.live import gunicorn_server

UPLOAD_OPERATION = "#operations-files-uploadFile"


@pytest.mark.e2e
@pytest.mark.timeout(120)
def test_swagger_ui_lists_the_upload_and_try_it_out_uploads_a_file(transactional_db, tmp_path, media_root,
                                                                   monkeypatch):
    # Playwright's sync API runs an event loop on this thread; the ORM calls below are still synchronous.
    monkeypatch.setitem(os.environ, "DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    user = UserFactory()
    failed_requests = []
    with gunicorn_server(var_dir=tmp_path / "var", media_root=media_root) as server, chromium_page() as page:
        token = requests.post(f"{server.url}/api/v1/auth/token/", timeout=10,
                              json={"username": user.username, "password": PASSWORD}).json()["access"]
        page.on("response", lambda r: r.status >= 400 and failed_requests.append(f"{r.status} {r.url}"))

        page.goto(f"{server.url}/api/docs/")
        page.locator(".swagger-ui .info .title", has_text="Upload platform API").wait_for()
        operation = page.locator(UPLOAD_OPERATION)
        operation.wait_for()
        assert "/api/v1/upload/" in operation.locator(".opblock-summary-path").inner_text()

        page.locator(".auth-wrapper button.authorize").click()
        page.locator(".modal-ux input[type=text]").fill(token)
        page.locator(".modal-ux .auth-btn-wrapper button.authorize").click()
        page.locator(".modal-ux button.btn-done").click()

        operation.locator(".opblock-summary").click()
        operation.locator("button.try-out__btn").click()
        operation.locator("input[type=file]").set_input_files(
            {"name": "from-swagger.png", "mimeType": "image/png", "buffer": samples.png()})
        operation.locator("button.execute").click()
        status = operation.locator(".live-responses-table .response .response-col_status").first
        status.wait_for()
        body = operation.locator(".live-responses-table .response-col_description pre").first.inner_text()
        screenshot(page, "docs_upload_try_it_out", scroll_to=operation.locator(".opblock-section-request-body"))
        answered = status.inner_text().strip()

    assert answered == "201", body
    assert '"name": "from-swagger.png"' in body
    assert failed_requests == []
    record = File.objects.get(owner=user)
    assert (record.name, record.kind, record.content_type, record.status) == (
        "from-swagger.png", "image", "image/png", Status.PENDING)
    assert record.size == len(samples.png())
