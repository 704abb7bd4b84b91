"""A Server-Sent Events client for tests: reads a stream in a thread and parses it as a browser would."""

import queue
import threading
import time
from dataclasses import dataclass

import requests


@dataclass
class ServerSentEvent:
    id: str | None
    event: str
    data: str
    received_at: float  # time.monotonic()


class EventStreamReader:
    """``GET url`` as ``text/event-stream``; events go to ``events``, ``: comments`` to ``comments``.

    Use as a context manager: the connection is closed when the block ends.
    """

    def __init__(self, url: str, *, headers: dict | None = None, timeout: float = 30):
        self.response = requests.get(url, headers=headers or {}, stream=True, timeout=timeout)
        self.events: queue.Queue[ServerSentEvent] = queue.Queue()
        self.comments: queue.Queue[str] = queue.Queue()
        self._thread = threading.Thread(target=self._read, daemon=True)
        if self.response.status_code == 200:
            self._thread.start()

    def _read(self) -> None:
        fields: dict[str, list[str]] = {}
        try:
            for raw in self.response.iter_lines(chunk_size=1, decode_unicode=False):
                line = raw.decode()
                if not line:
                    if "data" in fields:
                        self.events.put(ServerSentEvent(
                            id=fields.get("id", [None])[-1], event=fields.get("event", ["message"])[-1],
                            data="\n".join(fields["data"]), received_at=time.monotonic()))
                    fields = {}
                elif line.startswith(":"):
                    self.comments.put(line[1:].strip())
                else:
                    name, _, value = line.partition(":")
                    fields.setdefault(name, []).append(value.removeprefix(" "))
        except (requests.RequestException, AttributeError, ValueError):
            pass  # closed by the test

    def next(self, timeout: float = 10) -> ServerSentEvent:
        return self.events.get(timeout=timeout)

    def close(self) -> None:
        self.response.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
