"""A Server-Sent Events client for tests: reads a stream in a thread and parses it as a browser would.

It speaks HTTP/1.1 over a plain socket so that closing it is immediate (a
requests response being read in another thread cannot be closed until the
server sends its next chunk).
"""

import contextlib
import json
import queue
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class ServerSentEvent:
    id: str | None
    event: str
    data: str
    received_at: float  # time.monotonic()

    def json(self):
        return json.loads(self.data)


class EventStreamReader:
    """``GET url`` as ``text/event-stream``; events go to ``events``, ``: comments`` to ``comments``.

    ``status_code``, ``headers`` (lower-case names) and, for an error, ``body`` are set on return.
    Use as a context manager: the connection is closed when the block ends.
    """

    def __init__(self, url: str, *, headers: dict | None = None, timeout: float = 30):
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {"Host": parts.netloc, "Accept": "text/event-stream", **(headers or {})}
        lines = [f"GET {target} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
        self.sock.sendall("\r\n".join(lines).encode())
        self.file = self.sock.makefile("rb")
        status = self.file.readline().decode()
        self.status_code = int(status.split()[1])
        self.headers: dict[str, str] = {}
        while (line := self.file.readline().decode().strip()):
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        self.events: queue.Queue[ServerSentEvent] = queue.Queue()
        self.comments: queue.Queue[str] = queue.Queue()
        self.body = b""
        self.sock.settimeout(None)
        if self.status_code == 200:
            threading.Thread(target=self._read, daemon=True).start()
        elif "content-length" in self.headers:
            self.body = self.file.read(int(self.headers["content-length"]))

    def _chunks(self):
        chunked = self.headers.get("transfer-encoding") == "chunked"
        while True:
            if not chunked:
                data = self.file.read1(65536)
                if not data:
                    return
                yield data
                continue
            size = int(self.file.readline().strip() or b"0", 16)
            if size == 0:
                return
            yield self.file.read(size)
            self.file.readline()

    def _read(self) -> None:
        buffer, fields = b"", {}
        try:
            for chunk in self._chunks():
                buffer += chunk
                while b"\n" in buffer:
                    raw, buffer = buffer.split(b"\n", 1)
                    line = raw.decode().rstrip("\r")
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
        except (OSError, ValueError):
            pass  # closed by the test

    def next(self, timeout: float = 10) -> ServerSentEvent:
        return self.events.get(timeout=timeout)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
