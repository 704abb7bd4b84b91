"""A webhook receiver on loopback for tests: answers from a script, records every request."""

import contextlib
import http.server
import queue
import threading
from dataclasses import dataclass


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """``url`` takes POSTs; ``answers`` (status, extra headers) are used in order, the last one repeats."""

    def __init__(self, answers: list[tuple[int, dict]]):
        self.answers = list(answers)
        self.requests: queue.Queue[ReceivedRequest] = queue.Queue()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.put(ReceivedRequest(self.path, {k.lower(): v for k, v in self.headers.items()},
                                                      body))
                status, headers = receiver.answers.pop(0) if len(receiver.answers) > 1 else receiver.answers[0]
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def next(self, timeout: float = 20) -> ReceivedRequest:
        return self.requests.get(timeout=timeout)


@contextlib.contextmanager
def webhook_receiver(answers: list[tuple[int, dict]] | None = None):
    """A running ``Receiver`` until the block ends (default: always 200)."""
    receiver = Receiver(answers or [(200, {})])
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
