"""Upload throughput (8 clients, 10 KB and 1 MB) and one large upload, each beside the reference view.

Throughput also runs the minimal Django project (``bench/reference/minimal``),
labelled ``minimal Django``: the reference stays the ceiling every variant is
held to (× ceiling, target ≥ 0.8), and each variant's requests/s over the
minimal project's in the same round is printed beside it (× minimal, the
moonshot: no target).
"""

import asyncio
import collections
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .loadgen import stream_upload
from .report import median, table, verdict
from .stack import BASE_DIR, Stack, Web, memory_kib, reset_peak_rss

UPLOAD_PATH = "/api/v1/upload/"
REFERENCE_PATH = "/upload/"  # the reference's and the minimal project's
CEILING = "reference"
MINIMAL = "minimal Django"
TARGET_RATIO = 0.8
TARGET_RSS_GROWTH_MIB = 64


def clear_round(stack: Stack) -> None:
    """Between rounds: drop the queued messages and the stored bytes, so rounds start alike."""
    import redis

    client = redis.Redis.from_url(stack.redis_url)
    for queue in stack.worker_queues:
        client.delete(queue)
    shutil.rmtree(stack.media_root / "uploads", ignore_errors=True)


def cpu_seconds(stack: Stack, web: Web) -> dict[int, tuple[str, float]]:
    """CPU seconds (user + system) used so far, by process id, of the variant's gunicorn (its process
    group), the Celery workers, this database's PostgreSQL backends and the Redis server (shared with
    anything else that uses it), each with its group."""
    workers = {process.pid for process in stack.processes if process.bench_name.startswith("worker-")}
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # exited meanwhile
        group, used = int(fields[2]), (int(fields[11]) + int(fields[12])) / tick
        if group == web.process.pid:
            found[int(entry.name)] = ("web", used)
        elif group in workers:
            found[int(entry.name)] = ("celery", used)
        elif command.startswith("postgres:") and f" {stack.database_name} " in command:
            found[int(entry.name)] = ("postgres", used)
        elif command.startswith("redis-server"):
            found[int(entry.name)] = ("redis", used)
    return found


def cpu_used(before: dict, after: dict) -> collections.Counter:
    """CPU seconds by group between two ``cpu_seconds``: processes started meanwhile count whole; those
    that exited meanwhile (a database connection past its CONN_MAX_AGE) are missing."""
    used = collections.Counter()
    for pid, (group, seconds) in after.items():
        used[group] += seconds - before.get(pid, (group, 0.0))[1]
    return used


CPU_GROUPS = {"web": "web (gunicorn)", "celery": "Celery workers", "postgres": "PostgreSQL", "redis": "Redis"}


def run_loadgen(url: str, size: int, clients: int, duration: float, tokens_file: str | None,
                payload: str = "random") -> dict:
    args = [sys.executable, "-m", "bench.loadgen", "--url", url, "--size", str(size),
            "--clients", str(clients), "--duration", str(duration), "--payload", payload]
    if tokens_file:
        args += ["--tokens-file", tokens_file]
    done = subprocess.run(args, cwd=BASE_DIR, capture_output=True, text=True, timeout=duration + 120,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"loadgen failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def throughput(stack: Stack, variants: dict[str, tuple[Web, str, str | None]], *, sizes: list[int],
               rounds: int, duration: float, clients: int, payload: str = "random") -> tuple[str, dict]:
    """Alternate the variants round by round for each size; medians of the rounds.

    ``variants`` maps a label to (web, path, tokens file); the label ``reference``
    is the ceiling every other variant is divided by, round by round. With a
    ``minimal Django`` variant every variant is also divided by it, round by
    round (the "× minimal" column, no target).
    """
    lines, figures = [], {}
    rows, cpu_rows = [], []
    for size in sizes:
        results: dict[str, list[dict]] = {name: [] for name in variants}
        names = list(variants)
        for name in names:  # warm every gunicorn worker (imports, connections) before measuring
            web, path, tokens = variants[name]
            run_loadgen(web.url + path, size, clients, max(1.0, min(3.0, duration / 5)), tokens, payload)
        for round_index in range(rounds):
            order = names if round_index % 2 == 0 else names[::-1]
            for name in order:
                web, path, tokens = variants[name]
                clear_round(stack)
                stack.check_alive()
                before = cpu_seconds(stack, web)
                result = run_loadgen(web.url + path, size, clients, duration, tokens, payload)
                used = cpu_used(before, cpu_seconds(stack, web))
                result["cpu_ms"] = {key: used[key] * 1000 / max(1, result["requests"]) for key in CPU_GROUPS}
                results[name].append(result)
        clear_round(stack)
        for name in names:
            runs = results[name]
            ratio = _ratio(runs, results[CEILING])
            figures[(name, size)] = {"rps": median([r["rps"] for r in runs]), "ratio": ratio}
            row = [
                _size_label(size), name,
                median([r["rps"] for r in runs]), median([r["mbps"] for r in runs]),
                median([r["p50_ms"] for r in runs]), median([r["p95_ms"] for r in runs]),
                median([r["p99_ms"] for r in runs]), sum(r["errors"] for r in runs),
                "1.00 (ceiling)" if name == CEILING else _fmt_ratio(ratio),
                # The target is the app's; neither reference is held to it.
                "" if name in (CEILING, MINIMAL) else verdict(ratio is not None and ratio >= TARGET_RATIO),
            ]
            if MINIMAL in variants:
                figures[(name, size)]["minimal_ratio"] = moonshot = _ratio(runs, results[MINIMAL])
                row.append("1.00 (moonshot)" if name == MINIMAL else _fmt_ratio(moonshot))
            rows.append(row)
            cpu = {key: median([r["cpu_ms"][key] for r in runs]) for key in CPU_GROUPS}
            cpu_rows.append([_size_label(size), name, *(f"{cpu[key]:.2f}" for key in CPU_GROUPS),
                             f"{sum(cpu.values()):.2f}"])
    content = ("random bytes (generic binary: kind `other`, the sniffing's worst case)" if payload == "random"
               else "a photo-like JPEG padded to the size (kind `image`: the app's images worker makes a "
                    "thumbnail of each; the reference and the minimal project still publish a task of kind "
                    "`other`)")
    lines.append(f"{clients} concurrent clients uploading {content}, {duration:g} s per round, {rounds} rounds "
                 "alternating the variants; medians of the rounds; ratio = requests/s ÷ the reference's in "
                 f"the same round (target ≥ {TARGET_RATIO})"
                 + (f"; × minimal = requests/s ÷ the `{MINIMAL}` project's in the same round (its own settings, "
                    "only CommonMiddleware, the same view: the moonshot, no target)" if MINIMAL in variants else "")
                 + ".\n")
    lines.append(table(["size", "variant", "requests/s", "MB/s", "p50 ms", "p95 ms", "p99 ms", "errors",
                        "× ceiling", "target", *(["× minimal"] if MINIMAL in variants else [])], rows))
    lines.append("\nCPU per request in the same rounds (ms, medians; from /proc: user + system time of each "
                 "process group during the round ÷ requests answered; a database connection replaced during the "
                 "round after its CONN_MAX_AGE is missing). The Celery workers process the "
                 "uploaded files meanwhile, as many as they manage (what is still queued is dropped after the "
                 "round, so a faster variant shows less worker CPU per request); Redis is the whole server. "
                 "On 2 cores a variant's requests/s is at most about 2,000 ÷ its total.\n")
    lines.append(table(["size", "variant", *(f"{label} ms" for label in CPU_GROUPS.values()), "total ms"],
                       cpu_rows))
    return "\n".join(lines), figures


def _ratio(runs: list[dict], of: list[dict]) -> float | None:
    """Median over rounds of a variant's requests/s ÷ another variant's in the same round."""
    return median([run["rps"] / other["rps"] if other["rps"] else None for run, other in zip(runs, of, strict=True)])


def _fmt_ratio(ratio: float | None) -> str:
    return "–" if ratio is None else f"{ratio:.2f}"


def _size_label(size: int) -> str:
    if size >= 1024**3:
        return f"{size / 1024**3:g} GiB"
    if size >= 1024**2:
        return f"{size / 1024**2:g} MiB"
    return f"{size / 1024:g} KiB"


def large_upload(stack: Stack, *, size: int, rounds: int, token: str) -> str:
    """One ``size`` upload at a time to a one-worker gunicorn: wall time, MB/s, peak RSS growth."""
    rows, ratios = [], []
    webs = {"reference": stack.start_web(reference=True, workers=1),
            "app": stack.start_web(workers=1)}
    try:
        measured: dict[str, list[dict]] = {name: [] for name in webs}
        for round_index in range(rounds):
            order = ["reference", "app"] if round_index % 2 == 0 else ["app", "reference"]
            for name in order:
                web = webs[name]
                path = REFERENCE_PATH if name == "reference" else UPLOAD_PATH
                measured[name].append(_one_large(stack, web, path, size, None if name == "reference" else token))
        for name, runs in measured.items():
            growth = max(r["growth_mib"] for r in runs)
            rows.append([name, _size_label(size), median([r["seconds"] for r in runs]),
                         median([r["mbps"] for r in runs]), median([r["idle_mib"] for r in runs]),
                         max(r["peak_mib"] for r in runs), growth,
                         "" if name == "reference" else verdict(growth < TARGET_RSS_GROWTH_MIB)])
        ratios = [a["mbps"] / r["mbps"] for a, r in zip(measured["app"], measured["reference"], strict=True)]
    finally:
        for web in webs.values():
            stack.stop_process(web.process)
    ratio = median(ratios)
    return "\n".join([
        f"One upload at a time to a one-worker gunicorn, {rounds} round(s) alternating; RSS of the worker "
        "process from /proc (VmHWM reset to the idle RSS before each upload). "
        f"Targets: peak growth < {TARGET_RSS_GROWTH_MIB} MiB; MB/s ≥ {TARGET_RATIO}× the reference's.\n",
        table(["variant", "size", "wall s", "MB/s", "idle RSS MiB", "peak RSS MiB", "growth MiB", "RSS target"],
              rows),
        "",
        f"MB/s app ÷ reference (median of rounds): **{ratio:.2f}** — {verdict(ratio >= TARGET_RATIO)}.",
    ])


def _one_large(stack: Stack, web: Web, path: str, size: int, token: str | None) -> dict:
    (pid,) = web.worker_pids()
    # Warm the worker (imports, connections) with a small upload first.
    status, *_ = asyncio.run(stream_upload(web.url + path, token, 64 * 1024, "warm.bin"))
    if status != 201:
        raise RuntimeError(f"warm-up upload answered {status}")
    time.sleep(0.3)
    reset = reset_peak_rss(pid)
    idle = memory_kib(pid)
    status, _, body, seconds = asyncio.run(stream_upload(web.url + path, token, size))
    peak = memory_kib(pid)
    if status != 201:
        raise RuntimeError(f"large upload answered {status}: {body[:500]!r}")
    if path == UPLOAD_PATH and json.loads(body)["size"] != size:
        raise RuntimeError("large upload stored the wrong size")
    clear_round(stack)
    base = idle["VmRSS"] if reset else idle["VmHWM"]
    return {"seconds": seconds, "mbps": size / seconds / 1e6, "idle_mib": base / 1024,
            "peak_mib": peak["VmHWM"] / 1024, "growth_mib": (peak["VmHWM"] - base) / 1024}
