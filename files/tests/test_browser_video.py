"""A `<video>` element in headless Chromium plays an uploaded WebM from its download URL to
the end, fetching it with range requests that the download answers with 206.

A media element cannot send an ``Authorization`` header: it plays the File's signed
``download_url``, which works without a token, as a page would.
"""

import os

import pytest

from testing import samples
from testing.browser import chromium_page
from testing.clients import LiveClient
from testing.live import gunicorn_server

PLAYER = """<!doctype html><meta charset="utf-8"><title>player</title>
<video id="player" muted preload="auto" playsinline></video>"""


@pytest.mark.e2e
@pytest.mark.timeout(120)
def test_a_video_element_plays_an_uploaded_webm_to_its_end(transactional_db, tmp_path, media_root, monkeypatch):
    monkeypatch.setitem(os.environ, "DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    content = samples.webm(seconds=2, size=(160, 120))
    with gunicorn_server(var_dir=tmp_path / "var", media_root=media_root) as server:
        client = LiveClient(server.url, username="viewer")
        created = client.upload(content, "holiday.webm")
        download = created["download_url"]
        assert "sig=" in download and download.startswith(f"{server.url}/api/v1/files/{created['id']}/download/")
        exchanges = []
        with chromium_page() as page:
            page.on("requestfinished", lambda request: exchanges.append(
                (request.url, request.headers.get("range"), request.response().status)))
            page.goto(f"{server.url}/health/live/")  # the page's origin: no token anywhere in it
            page.set_content(PLAYER)
            outcome = page.evaluate("""(src) => new Promise((resolve) => {
                const video = document.getElementById('player');
                video.addEventListener('ended', () => resolve({ended: true, time: video.currentTime,
                    duration: video.duration, width: video.videoWidth, height: video.videoHeight}));
                video.addEventListener('error', () => resolve({ended: false, error: video.error && video.error.code}));
                video.src = src;
                video.playbackRate = 2;
                video.play().catch((error) => resolve({ended: false, error: String(error)}));
            })""", download)
    assert outcome["ended"] is True, outcome
    assert outcome["duration"] == pytest.approx(2.0, abs=0.1)
    assert outcome["time"] == pytest.approx(outcome["duration"], abs=0.1)
    assert (outcome["width"], outcome["height"]) == (160, 120)
    media = [(range_header, status) for url, range_header, status in exchanges if url == download]
    assert media, exchanges
    assert all(range_header and range_header.startswith("bytes=") for range_header, _ in media), media
    assert {status for _, status in media} == {206}, media
