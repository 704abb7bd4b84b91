"""Headless Chromium (Debian's) driven by Playwright, and screenshots for a person to look at."""

import contextlib
import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = "/usr/bin/chromium"
# As root headless Chromium needs --no-sandbox; the rest keep it off the closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


@contextlib.contextmanager
def chromium_page(*, args: list[str] | None = None):
    """A page in Debian's headless Chromium driven by Playwright; the browser is always closed.

    ``args``: more Chromium switches (e.g. ``--host-resolver-rules=MAP name 127.0.0.1``)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (scripts/system-deps.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=[*CHROMIUM_ARGS, *(args or [])], timeout=30_000)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=False)
            page = context.new_page()
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()


def screenshot(page, name: str, *, scroll_to=None) -> Path:
    """Save a screenshot under var/screenshots/ for a person to look at: the whole page, or the
    window scrolled so that the ``scroll_to`` locator is at its top."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    if scroll_to is not None:
        scroll_to.evaluate("element => element.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(target), full_page=scroll_to is None)
    return target


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # a test's output is for its failures
        pass


@contextlib.contextmanager
def static_site(directory: Path):
    """Serve ``directory`` on a free 127.0.0.1 port (a single-page app's own origin) until the block
    ends; yields its origin, ``http://127.0.0.1:<port>``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
