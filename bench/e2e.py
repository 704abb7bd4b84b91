"""Upload → ``processed`` latency of a small image, at idle and under the throughput load."""

import io
import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

from PIL import Image

from .loadgen import upload_once
from .report import median, percentile, table, verdict
from .stack import BASE_DIR, Stack, Web

TARGET_IDLE_P50_MS = 100
TIMEOUT = 30


def small_jpeg() -> bytes:
    out = io.BytesIO()
    Image.linear_gradient("L").resize((640, 480)).convert("RGB").save(out, format="JPEG", quality=85)
    return out.getvalue()


def _probe(stack: Stack, web: Web, token: str, content: bytes) -> float:
    """Milliseconds from sending the upload to the worker's ``processed_at`` (same clock)."""
    from files.models import File, Status

    sent = datetime.now(UTC)
    status, body = upload_once(f"{web.url}/api/v1/upload/", token, content, "probe.jpg")
    if status != 201:
        raise RuntimeError(f"probe upload answered {status}: {body[:300]!r}")
    file_id = json.loads(body)["id"]
    deadline = time.monotonic() + TIMEOUT
    while True:
        row = File.objects.filter(pk=file_id).values("status", "processed_at", "error").get()
        if row["status"] == Status.PROCESSED:
            return (row["processed_at"] - sent).total_seconds() * 1000
        if row["status"] == Status.FAILED:
            raise RuntimeError(f"probe failed: {row['error']}")
        if time.monotonic() > deadline:
            stack.check_alive()
            raise RuntimeError("probe not processed in time")
        time.sleep(0.002)


def probes_under_load(web: Web, tokens_file: str, probe: Callable[[], object], *, probes: int,
                      load_seconds: float, load_size: int, clients: int) -> tuple[list, dict]:
    """Run ``probe`` repeatedly (up to 4 × ``probes``) while ``bench.loadgen`` uploads in the background;
    the probes' results and the load's own report (``{}`` when it failed)."""
    load = subprocess.Popen(
        [sys.executable, "-m", "bench.loadgen", "--url", f"{web.url}/api/v1/upload/", "--size", str(load_size),
         "--clients", str(clients), "--duration", str(load_seconds), "--tokens-file", tokens_file],
        cwd=BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    busy = []
    try:
        time.sleep(min(1.0, load_seconds / 4))
        stop_at = time.monotonic() + load_seconds * 0.75
        while time.monotonic() < stop_at and len(busy) < probes * 4:
            busy.append(probe())
        out, _ = load.communicate(timeout=load_seconds + 120)
    finally:
        if load.poll() is None:
            load.kill()
            load.wait()
    return busy, json.loads(out) if load.returncode == 0 and out else {}


def end_to_end(stack: Stack, web: Web, token: str, tokens_file: str, *, probes: int, load_seconds: float,
               load_size: int = 10 * 1024, clients: int = 8) -> str:
    content = small_jpeg()
    _probe(stack, web, token, content)  # warm
    idle = []
    for _ in range(probes):
        idle.append(_probe(stack, web, token, content))
        time.sleep(0.05)
    busy, background = probes_under_load(web, tokens_file, lambda: _probe(stack, web, token, content),
                                          probes=probes, load_seconds=load_seconds, load_size=load_size,
                                          clients=clients)
    idle_p50 = median(idle)
    rows = [
        ["idle", len(idle), idle_p50, percentile(idle, 0.95), max(idle), verdict(idle_p50 < TARGET_IDLE_P50_MS)],
        [f"under load ({clients} clients × {load_size // 1024} KiB, {background.get('rps', 0):.0f} uploads/s)",
         len(busy), median(busy), percentile(busy, 0.95), max(busy) if busy else None, ""],
    ]
    return "\n".join([
        f"A 640×480 JPEG ({len(content) / 1024:.0f} KiB) uploaded through gunicorn; latency from sending "
        "the request to the worker's `processed_at` (both on this machine's clock). Target: idle p50 < "
        f"{TARGET_IDLE_P50_MS} ms.\n",
        table(["condition", "probes", "p50 ms", "p95 ms", "max ms", "target"], rows),
    ])
