"""A single-page app on another origin, as its developer would write it with Uppy 6: the page is
clients/uppy (built by ``testing.npm.build_uppy_page``, served by ``testing.browser.static_site``);
these drive it in Chromium and check what it saw, against any API base URL (gunicorn, or nginx)."""

import base64

import requests

from testing import samples

PASSWORD = "correct-horse-battery-42"


def register_and_login(api: str, username: str, *, session: requests.Session | None = None) -> str:
    """A new account's access token (as the SPA's login screen would get it)."""
    http = session or requests.Session()
    registered = http.post(f"{api}/api/v1/auth/register/", timeout=10, json={
        "username": username, "email": f"{username}@example.com", "password": PASSWORD})
    assert registered.status_code == 201, registered.text
    tokens = http.post(f"{api}/api/v1/auth/token/", json={"username": username, "password": PASSWORD},
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
