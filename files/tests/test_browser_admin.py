"""A superuser moderates files in the admin, in a real browser against a real gunicorn.

Logs in, filters to failed images, searches by name, opens a file and sees its
thumbnail, reprocesses and blocks a selection; the owner's API then shows the
file blocked and its download answers 403 ``file_blocked``.
"""

import os

import pytest
import requests

from files.models import File, Status
from testing import samples
from testing.browser import chromium_page, screenshot
from testing.factories import PASSWORD, UserFactory
from testing.live import gunicorn_server
from testing.uploads import process_inline


def _upload(server, token: str, name: str, content: bytes) -> str:
    response = requests.post(f"{server.url}/api/v1/upload/", headers={"Authorization": f"Bearer {token}"},
                             files={"file": (name, content)}, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _row(page, name: str):
    return page.locator("#result_list tbody tr", has=page.locator("td.field-name a", has_text=name))


def _listed_names(page) -> set[str]:
    return set(page.locator("#result_list tbody td.field-name").all_inner_texts())


def _navigate(page, locator) -> None:
    with page.expect_navigation():
        locator.click()


def _run_action(page, names: list[str], action: str) -> str:
    for name in names:
        _row(page, name).locator("input.action-select").check()
    page.locator("select[name=action]").select_option(action)
    _navigate(page, page.locator("button[name=index]"))
    return page.locator("ul.messagelist").inner_text()


@pytest.mark.e2e
@pytest.mark.timeout(120)
def test_superuser_moderates_files_in_the_admin(transactional_db, tmp_path, media_root, monkeypatch):
    # Playwright's sync API runs an event loop on this thread; the ORM calls below are still synchronous.
    monkeypatch.setitem(os.environ, "DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    moderator = UserFactory(is_staff=True, is_superuser=True)
    owner = UserFactory()
    failed_requests = []
    with gunicorn_server(var_dir=tmp_path / "var", media_root=media_root) as server:
        token = requests.post(f"{server.url}/api/v1/auth/token/", timeout=10,
                              json={"username": owner.username, "password": PASSWORD}).json()["access"]
        api = {"Authorization": f"Bearer {token}"}
        # Processed in this process by the real pipeline: the worker's job, without a worker to wait for.
        sunset = process_inline(_upload(server, token, "sunset.png", samples.png()))
        broken = process_inline(_upload(server, token, "broken.png", samples.corrupt_png()))
        cracked = process_inline(_upload(server, token, "cracked.png", samples.corrupt_png()))
        _upload(server, token, "notes.txt", samples.utf8_text())
        assert (sunset.status, broken.status, cracked.status) == (Status.PROCESSED, Status.FAILED, Status.FAILED)

        with chromium_page() as page:
            page.on("response", lambda r: r.status >= 400 and failed_requests.append(f"{r.status} {r.url}"))
            page.goto(f"{server.url}/admin/")
            page.fill("#id_username", moderator.username)
            page.fill("#id_password", PASSWORD)
            _navigate(page, page.locator("input[type=submit]"))
            _navigate(page, page.locator("tr.model-file th a"))
            assert _listed_names(page) == {"sunset.png", "broken.png", "cracked.png", "notes.txt"}
            # The admin's own CSS is served (whitenoise), so the page is styled.
            assert page.locator("#header").evaluate("e => getComputedStyle(e).display") == "flex"

            _navigate(page, page.locator('#changelist-filter details[data-filter-title="status"] a',
                                         has_text="failed"))
            _navigate(page, page.locator('#changelist-filter details[data-filter-title="kind"] a', has_text="image"))
            assert "status__exact=failed" in page.url and "kind__exact=image" in page.url
            assert _listed_names(page) == {"broken.png", "cracked.png"}
            screenshot(page, "admin_failed_images")

            page.goto(f"{server.url}/admin/files/file/")
            page.fill("#searchbar", "sunset")
            with page.expect_navigation():
                page.press("#searchbar", "Enter")
            assert _listed_names(page) == {"sunset.png"}
            assert _row(page, "sunset.png").locator("img.file-thumbnail").evaluate("i => i.naturalWidth") > 0

            _navigate(page, _row(page, "sunset.png").locator("td.field-name a"))
            thumbnail = page.locator("img.file-thumbnail-large")
            thumbnail.wait_for()
            assert thumbnail.evaluate("i => i.complete && i.naturalWidth") > 0
            assert "PNG" in page.locator("table.file-result").inner_text()
            screenshot(page, "admin_file_detail")

            page.goto(f"{server.url}/admin/files/file/")
            reprocessed = _run_action(page, ["sunset.png", "broken.png"], "reprocess_files")
            blocked = _run_action(page, ["sunset.png"], "block_files")
            screenshot(page, "admin_after_block")

        detail = requests.get(f"{server.url}/api/v1/files/{sunset.pk}/", headers=api, timeout=10)
        download = requests.get(f"{server.url}/api/v1/files/{sunset.pk}/download/", headers=api, timeout=10)
        other = requests.get(f"{server.url}/api/v1/files/{broken.pk}/download/", headers=api, timeout=10)

    assert "Queued 2 files for processing." in reprocessed
    assert "Blocked 1 file." in blocked
    assert failed_requests == []
    assert detail.status_code == 200
    assert (detail.json()["blocked"], detail.json()["status"]) == (True, "pending")
    assert download.status_code == 403
    assert download.json() == {"code": "file_blocked", "detail": download.json()["detail"], "errors": {}}
    assert other.status_code == 200 and other.content == samples.corrupt_png()
    assert File.objects.get(pk=broken.pk).status == Status.PENDING
