"""A web page on another origin follows its user's files live, in headless Chromium.

The page (served from its own origin) fetches a stream ticket with its
Bearer token, opens an ``EventSource`` on the API's origin and records what
arrives; an upload through the API and its processing follow. Then the page
disconnects, misses an event, and reconnects sending ``Last-Event-ID``: it
gets what it missed and nothing twice.
"""

import contextlib
import functools
import http.server
import os
import threading

import pytest
import requests
from django.db import connections

from testing.browser import chromium_page, screenshot
from testing.clients import bearer
from testing.factories import UserFactory
from testing.live import uvicorn_server
from testing.uploads import process_inline

PAGE = """<!doctype html><meta charset="utf-8"><title>live files</title>
<ul id="log"></ul>
<script>
window.received = [];
window.lastId = null;
function record(type, id, data) {
  window.received.push({type, id, file: JSON.parse(data).file.id});
  window.lastId = id;
  const item = document.createElement("li");
  item.textContent = id + " " + type;
  document.getElementById("log").append(item);
}
window.openStream = async (api, token) => {
  const answer = await fetch(api + "/api/v1/events/ticket/", {method: "POST", headers: {Authorization: token}});
  const {ticket} = await answer.json();
  const source = new EventSource(api + "/api/v1/events/stream/?ticket=" + encodeURIComponent(ticket));
  for (const type of ["file.created", "file.processed", "file.deleted"]) {
    source.addEventListener(type, (e) => record(type, e.lastEventId, e.data));
  }
  await new Promise((resolve, reject) => { source.onopen = resolve; source.onerror = reject; });
  window.source = source;
};
// What EventSource does when it reconnects: the same request with Last-Event-ID (here with the
// Bearer header, as a fetch-based client does; a ticket works only once).
window.resume = async (api, token) => {
  const controller = new AbortController();
  const answer = await fetch(api + "/api/v1/events/stream/", {
    headers: {Authorization: token, "Last-Event-ID": window.lastId}, signal: controller.signal});
  const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
  window.stopResume = () => controller.abort();
  let buffer = "";
  (async () => {
    for (;;) {
      const {value, done} = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\\n\\n")) >= 0) {
        const block = buffer.slice(0, end); buffer = buffer.slice(end + 2);
        const fields = Object.fromEntries(block.split("\\n").filter(l => !l.startsWith(":") && l.includes(":"))
          .map(l => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim()]));
        if (fields.data) record(fields.event, fields.id, fields.data);
      }
    }
  })().catch(() => {});
  return answer.status;
};
</script>"""


@contextlib.contextmanager
def page_origin(tmp_path):
    """A static server for the page, on its own port: another origin than the API's."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text(PAGE)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "site"))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def received(page) -> list[tuple[str, str]]:
    return [(item["type"], item["file"]) for item in page.evaluate("window.received")]


@pytest.mark.e2e
@pytest.mark.timeout(120)
def test_page_on_another_origin_follows_uploads_live_and_resumes(transactional_db, tmp_path, media_root,
                                                                 monkeypatch):
    monkeypatch.setitem(os.environ, "DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    user = UserFactory()
    token = bearer(user)
    with page_origin(tmp_path) as origin, uvicorn_server(
            var_dir=tmp_path / "var", media_root=media_root, env={"CORS_ALLOWED_ORIGINS": origin}) as server, \
            chromium_page() as page:
        page.goto(f"{origin}/index.html")
        page.evaluate("([api, token]) => window.openStream(api, token)", [server.url, token])

        def upload(name: str) -> str:
            answer = requests.post(f"{server.url}/api/v1/upload/", files={"file": (name, b"live words\n")},
                                   headers={"Authorization": token}, timeout=30)
            assert answer.status_code == 201, answer.text
            return answer.json()["id"]

        first = upload("first.txt")
        page.wait_for_function("window.received.length >= 1", timeout=10_000)
        process_inline(first)
        page.wait_for_function("window.received.length >= 2", timeout=10_000)
        assert received(page) == [("file.created", first), ("file.processed", first)]

        page.evaluate("window.source.close()")
        missed = upload("missed.txt")  # while the page is disconnected
        assert page.evaluate("([api, token]) => window.resume(api, token)", [server.url, token]) == 200
        page.wait_for_function("window.received.length >= 3", timeout=10_000)
        process_inline(missed)
        page.wait_for_function("window.received.length >= 4", timeout=10_000)
        page.wait_for_timeout(500)
        screenshot(page, "events-stream-other-origin")
        assert received(page) == [("file.created", first), ("file.processed", first),
                                  ("file.created", missed), ("file.processed", missed)]
        ids = [int(item["id"]) for item in page.evaluate("window.received")]
        assert ids == sorted(set(ids))  # increasing, nothing twice
        page.evaluate("window.stopResume()")
        # Under Playwright's event loop Django keys connections by context, not by thread: the one
        # opened here is not the one pytest-django closes, and would hold the test database open.
        connections.close_all()
