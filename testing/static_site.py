"""A static web site on its own 127.0.0.1 port: a page of another origin for browser tests."""

import contextlib
import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _Handler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".mjs": "text/javascript",
                      ".js": "text/javascript", ".html": "text/html"}

    def log_message(self, format, *args):
        pass


@contextlib.contextmanager
def static_site(root: Path):
    """Serve ``root`` at ``http://localhost:<port>`` (a host name, so its origin differs from
    the API's ``127.0.0.1``) until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
