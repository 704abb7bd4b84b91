"""A small HTTP/1.1 load generator for multipart uploads (asyncio, raw sockets).

Each of ``clients`` connections sends the same prepared request again and
again for ``duration`` seconds (reconnecting when the server closes, as
gunicorn's sync workers do after every answer) and records each latency and
status. Run as a separate process so it never shares a GIL with the server
side: ``python -m bench.loadgen --url … --size 10240 --clients 8 --duration 15``
prints one JSON object.
"""

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import time
from urllib.parse import urlsplit

BOUNDARY = "----bench-boundary-7d1f0c2a"
CHUNK = 1024 * 1024


def multipart_parts(filename: str) -> tuple[bytes, bytes]:
    """The bytes before and after the file's content in a ``file`` field."""
    head = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    return head, f"\r\n--{BOUNDARY}--\r\n".encode()


def request_head(url: str, token: str | None, body_length: int, extra: dict | None = None) -> bytes:
    parts = urlsplit(url)
    lines = [f"POST {parts.path or '/'} HTTP/1.1", f"Host: {parts.netloc}",
             f"Content-Type: multipart/form-data; boundary={BOUNDARY}", f"Content-Length: {body_length}"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    lines.extend(f"{key}: {value}" for key, value in (extra or {}).items())
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def build_request(url: str, token: str | None, content: bytes, filename: str = "bench.bin") -> bytes:
    head, tail = multipart_parts(filename)
    body = head + content + tail
    return request_head(url, token, len(body)) + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = await reader.readexactly(length) if length else b""
    return status, headers, body


class Connection:
    """One keep-alive-when-possible connection to the server."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def send(self, chunks) -> tuple[int, dict, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        try:
            for chunk in chunks:
                self.writer.write(chunk)
                await self.writer.drain()
            status, headers, body = await read_response(self.reader)
        except BaseException:
            await self.close()
            raise
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, headers, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


PAYLOADS = ("random", "jpeg")
RANDOM_PREFIX = b"bench-random\x00"


def payload(kind: str, size: int) -> bytes:
    """The uploaded file: ``random`` bytes (generic binary: the sniffing's worst case, processed as
    kind ``other``) or a photo-like ``jpeg`` of that size (kind ``image``: a thumbnail per upload)."""
    if kind == "jpeg":
        from .samples import jpeg_of_size

        return jpeg_of_size(size)
    # Bare random bytes look like something to libmagic about once in a hundred (a DOS .COM
    # executable, refused with 415 for a whole round, or audio); behind this prefix they never do.
    return (RANDOM_PREFIX + os.urandom(size))[:size]


async def run_load(url: str, tokens: list[str | None], size: int, clients: int, duration: float,
                   expect: int = 201, payload_kind: str = "random") -> dict:
    """Drive ``clients`` connections for ``duration`` seconds; the round's figures."""
    parts = urlsplit(url)
    content = payload(payload_kind, size)
    requests = [build_request(url, tokens[i % len(tokens)], content) for i in range(clients)]
    latencies: list[float] = []
    errors: dict[str, int] = {}
    stop_at = time.perf_counter() + duration

    async def client(index: int) -> None:
        connection = Connection(parts.hostname, parts.port)
        try:
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                try:
                    status, _, _ = await connection.send([requests[index]])
                except (OSError, asyncio.IncompleteReadError) as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    await asyncio.sleep(0.01)
                    continue
                if status == expect:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors[str(status)] = errors.get(str(status), 0) + 1
        finally:
            await connection.close()

    began = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - began
    return summarize(latencies, errors, elapsed, size)


def summarize(latencies: list[float], errors: dict, elapsed: float, size: int) -> dict:
    ordered = sorted(latencies)

    def percentile(q: float) -> float | None:
        if not ordered:
            return None
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {
        "requests": len(ordered), "seconds": elapsed, "rps": len(ordered) / elapsed if elapsed else 0.0,
        "mbps": len(ordered) * size / elapsed / 1e6 if elapsed else 0.0,
        "p50_ms": percentile(0.50), "p95_ms": percentile(0.95), "p99_ms": percentile(0.99),
        "mean_ms": statistics.fmean(ordered) * 1000 if ordered else None,
        "errors": sum(errors.values()), "error_kinds": errors,
    }


async def stream_upload(url: str, token: str | None, size: int, filename: str = "large.bin",
                        extra: dict | None = None) -> tuple[int, dict, bytes, float]:
    """POST a ``size``-byte file generated on the fly (never held in memory); status, headers,
    body and seconds."""
    parts = urlsplit(url)
    block = os.urandom(CHUNK)
    head, tail = multipart_parts(filename)
    body_length = len(head) + size + len(tail)

    def chunks():
        yield request_head(url, token, body_length, extra) + head
        remaining = size
        while remaining > 0:
            piece = block if remaining >= CHUNK else block[:remaining]
            remaining -= len(piece)
            yield piece
        yield tail

    connection = Connection(parts.hostname, parts.port)
    started = time.perf_counter()
    try:
        status, headers, body = await connection.send(chunks())
    finally:
        await connection.close()
    return status, headers, body, time.perf_counter() - started


def upload_once(url: str, token: str | None, content: bytes, filename: str = "probe.bin") -> tuple[int, bytes]:
    """One upload on a fresh connection (for probes); status and body."""
    parts = urlsplit(url)

    async def go():
        connection = Connection(parts.hostname, parts.port)
        try:
            status, _, body = await connection.send([build_request(url, token, content, filename)])
        finally:
            await connection.close()
        return status, body

    return asyncio.run(go())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--tokens-file", help="one bearer token a line; client i uses line i mod n")
    parser.add_argument("--expect", type=int, default=201)
    parser.add_argument("--payload", choices=PAYLOADS, default="random")
    args = parser.parse_args(argv)
    tokens: list[str | None] = [None]
    if args.tokens_file:
        with open(args.tokens_file) as handle:
            tokens = [line.strip() for line in handle if line.strip()] or [None]
    result = asyncio.run(run_load(args.url, tokens, args.size, args.clients, args.duration, args.expect,
                                  args.payload))
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
