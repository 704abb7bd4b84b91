"""Listing at scale: seed files with COPY, time page-number and cursor pages, show the query plans."""

import hashlib
import http.client
import io
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from .report import median, percentile, table, verdict
from .stack import Web

LIST_PATH = "/api/v1/files/"
QUERY = {"status": "processed", "kind": "image", "ordering": "-uploaded_at"}
KINDS = ["image", "text", "document", "archive", "other"]
T0 = datetime(2025, 1, 1, tzinfo=UTC)
TARGET_CURSOR_GROWTH = 2.0


def _copy_value(value) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def seed_files(owner_ids: list, per_owner: int, *, start: int = 0, seed: int = 6) -> None:
    """COPY ``per_owner`` files for each owner (numbered from ``start``): 80 % processed,
    kinds evenly spread, one second apart."""
    from django.db import connection

    from files.models import File

    rng = random.Random(seed + start)
    fields = [f for f in File._meta.concrete_fields]
    columns = ", ".join(f'"{f.column}"' for f in fields)
    defaults = {f.attname: f.get_default() for f in fields}
    with connection.cursor() as cursor, cursor.cursor.copy(
            f'COPY "{File._meta.db_table}" ({columns}) FROM STDIN') as copy:
        buffer = io.StringIO()
        for owner_id in owner_ids:
            for i in range(start, start + per_owner):
                file_id = uuid.uuid4()
                processed = rng.random() < 0.8
                uploaded = T0 + timedelta(seconds=i, microseconds=rng.randrange(1_000_000))
                kind = KINDS[i % len(KINDS)]
                row = {**defaults, "id": file_id, "owner_id": owner_id,
                       "file": f"uploads/{file_id.hex[:2]}/{file_id.hex}", "uploaded_at": uploaded,
                       "processed": processed, "name": f"file-{i}.bin", "size": rng.randrange(1, 10_000_000),
                       "content_type": "image/jpeg" if kind == "image" else "application/octet-stream",
                       "kind": kind, "sha256": hashlib.sha256(file_id.bytes).hexdigest(),
                       "status": "processed" if processed else "pending", "status_changed_at": uploaded,
                       "processed_at": uploaded + timedelta(seconds=1) if processed else None,
                       "result": '{"width": 640, "height": 480}' if processed and kind == "image" else None,
                       "thumbnail": "", "idempotency_key": None}
                buffer.write("\t".join(_copy_value(row[f.attname]) for f in fields))
                buffer.write("\n")
                if buffer.tell() > 4_000_000:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
        copy.write(buffer.getvalue())
    with connection.cursor() as cursor:
        cursor.execute(f'ANALYZE "{File._meta.db_table}"')


def _get(web: Web, path: str, token: str) -> tuple[int, float, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", web.port, timeout=120)
    started = time.perf_counter()
    connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    return response.status, elapsed, body


def _paths(owner) -> dict[str, str]:
    """The four requests: first and middle page, by page number and by cursor."""
    from api.pagination import PAGE_SIZE, encode_cursor
    from files.models import File

    matching = File.objects.filter(owner=owner, status="processed", kind="image")
    count = matching.count()
    middle_page = max(1, (count // PAGE_SIZE) // 2)
    edge = matching.order_by("-uploaded_at", "-id").values_list("uploaded_at", "id")[
        max(0, (middle_page - 1) * PAGE_SIZE - 1)]
    cursor = encode_cursor("-uploaded_at,-id", list(edge))
    base = f"{LIST_PATH}?{urlencode(QUERY)}"
    return {
        "page 1 (count)": base,
        f"middle page {middle_page} (count)": f"{base}&page={middle_page}",
        "cursor first": f"{base}&cursor=",
        "cursor middle": f"{base}&cursor={cursor}",
    }, count


def measure(web: Web, owner, token: str, repeats: int) -> tuple[dict, int]:
    paths, matching = _paths(owner)
    timings: dict[str, list[float]] = {name: [] for name in paths}
    for path in paths.values():  # warm: plans cached, pages in shared buffers
        status, _, body = _get(web, path, token)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}: {body[:300]!r}")
    for _ in range(repeats):
        for name, path in paths.items():
            _, elapsed, _ = _get(web, path, token)
            timings[name].append(elapsed * 1000)
    return timings, matching


def explain(owner, token: str) -> str:
    """EXPLAIN ANALYZE of the statements the listing runs, captured from the view itself."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    paths, _ = _paths(owner)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    out = []
    for name, path in paths.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200, response.content[:300]
        for query in queries.captured_queries:
            if 'FROM "files_file"' not in query["sql"]:
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING ON) " + query["sql"])
                plan = "\n".join(row[0] for row in cursor.fetchall())
            kind = "count" if "COUNT(*)" in query["sql"].upper() else "page"
            out.append(f"-- {name}: {kind} query\n{plan}")
    return "\n\n".join(out)


def listing(web: Web, *, scales: list[int], spread_users: int, spread_per_user: int, repeats: int,
            explain_plans: bool = True) -> str:
    from django.contrib.auth import get_user_model
    from rest_framework_simplejwt.tokens import RefreshToken

    User = get_user_model()
    owner = User.objects.create(username="bench-lister", email="bench-lister@example.com")
    token = str(RefreshToken.for_user(owner).access_token)
    rows, first_cursor, seeded, plans = [], {}, 0, ""
    seed_seconds = {}
    for scale in scales:
        started = time.perf_counter()
        seed_files([owner.pk], scale - seeded, start=seeded)
        seed_seconds[scale] = time.perf_counter() - started
        seeded = scale
        timings, matching = measure(web, owner, token, repeats)
        for name, values in timings.items():
            rows.append([f"{scale:,} (1 user)", f"{matching:,}", name, median(values), percentile(values, 0.95)])
            if name.startswith("cursor"):
                first_cursor.setdefault(name, {})[scale] = median(values)
        if explain_plans and scale == scales[-1]:
            plans = explain(owner, token)

    if spread_users:
        started = time.perf_counter()
        spread = User.objects.bulk_create([
            User(username=f"bench-spread-{i}", email=f"bench-spread-{i}@example.com", password="!")  # noqa: S106 - unusable password
            for i in range(spread_users)])
        seed_files([u.pk for u in spread], spread_per_user)
        seed_seconds["spread"] = time.perf_counter() - started
        probe = spread[len(spread) // 2]
        probe_token = str(RefreshToken.for_user(probe).access_token)
        timings, matching = measure(web, probe, probe_token, repeats)
        total = spread_users * spread_per_user
        for name, values in timings.items():
            rows.append([f"{total:,} ({spread_users:,} users)", f"{matching:,}", name, median(values),
                         percentile(values, 0.95)])

    lines = [
        f"`GET {LIST_PATH}?{urlencode(QUERY)}` (+ `&page=` / `&cursor=`), {repeats} requests per cell "
        "after one warm-up, one client, through gunicorn. *matching* = files the filter selects "
        "for that user. Seeding by COPY took "
        + ", ".join(f"{k if isinstance(k, str) else f'{k:,}'}: {v:.0f} s" for k, v in seed_seconds.items())
        + ".\n",
        table(["files in table", "matching", "request", "p50 ms", "p95 ms"], rows),
        "",
    ]
    for name, by_scale in first_cursor.items():
        low, high = by_scale[scales[0]], by_scale[scales[-1]]
        growth = high / low if low else None
        lines.append(f"- {name}: p50 {low:.1f} ms at {scales[0]:,} → {high:.1f} ms at {scales[-1]:,} files: "
                     f"×{growth:.2f} (target < {TARGET_CURSOR_GROWTH:g}×: "
                     f"{verdict(growth is not None and growth < TARGET_CURSOR_GROWTH)}).")
    if plans:
        lines += ["", f"<details><summary>Query plans at {scales[-1]:,} files (EXPLAIN ANALYZE)</summary>\n",
                  "```", plans, "```", "</details>"]
    return "\n".join(lines)
