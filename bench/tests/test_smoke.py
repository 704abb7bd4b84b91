"""Every benchmark suite runs end to end with tiny sizes, so ``make bench`` cannot rot."""

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
SMOKE_TIMEOUT = 280

pytestmark = pytest.mark.e2e


def _service_urls() -> tuple[str, str]:
    database = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/uploads"))
    broker = urlsplit(os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15"))
    return urlunsplit(database._replace(path="/postgres")), urlunsplit(broker._replace(path=""))


def test_benchmark_smoke_run_prints_every_table_and_cleans_up(tmp_path):
    postgres_url, redis_url = _service_urls()
    database_name = f"uploads_bench_smoke_{os.getpid()}"
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--postgres-url", postgres_url, "--redis-url", redis_url,
         "--database-name", database_name, "--redis-db", "11"],
        cwd=BASE_DIR, capture_output=True, text=True, timeout=SMOKE_TIMEOUT, check=False,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    out = done.stdout
    assert done.returncode == 0, (out[-3000:], done.stderr[-5000:])
    for title in ["Upload throughput", "Large upload", "Processing throughput", "End to end: upload → processed",
                  "Where an upload's CPU goes", "Profile of the upload request", "Listing at scale",
                  "Events: upload → file.processed on an open stream", "Events: the API while streams are open",
                  "Events: webhook deliveries", "Resumable uploads (tus) against one multipart POST"]:
        assert f"### {title}" in out
    # The tables carry measured numbers, not placeholders.
    assert re.search(r"\| 10 KiB \| app \| [\d,.]+ \| [\d,.]+ \| [\d,.]+ \|", out), out
    # The minimal Django project (the moonshot) measured beside them, and the app's ratio to it.
    assert re.search(r"\| 10 KiB \| minimal Django \| [\d,.]+ \| [\d,.]+ \| [\d,.]+ \|.* \| 1\.00 \(moonshot\) \|$",
                     out, re.MULTILINE), out
    assert re.search(r"\| 10 KiB \| app \| .* \| [\d.]+ \| (met|NOT met) \| [\d.]+ \|$", out, re.MULTILINE), out
    assert re.search(r"\| 10 KiB \| minimal Django \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \|$", out,
                     re.MULTILINE), out  # its CPU per request
    assert re.search(r"\| app \| 8 MiB \| [\d,.]+ \| [\d,.]+ \|", out), out
    assert re.search(r"\| 50-page PDF \| [\d.]+ MB \| 2 \| [\d,.]+ \| [\d,.]+ \|", out), out
    assert re.search(r"\| idle \| 2 \| [\d,.]+ \|", out), out
    assert re.search(r"\| s3 \| tus, 2 MiB chunks \| [\d.]+ \| \d+ \| [\d.]+× \| \+[\d.]+ \|", out), out
    # The upload's CPU by part, the app's contract steps beside what the reference does too.
    assert re.search(r"^\| the user's row \(active, sessions ended\) \| contract \| [\d.]+ \| – \|$", out,
                     re.MULTILINE), out
    assert re.search(r"^\| writing the bytes to storage \| both \| [\d.]+ \| [\d.]+ \|$", out, re.MULTILINE), out
    assert re.search(r"The contract's parts come to [\d.]+ ms", out), out
    # The file's row and its file.created event (issue 15: the event is written in the upload's transaction).
    assert re.search(r"SQL statements per upload: \*\*\d+\*\* \(2 INSERT, counting those inside a WITH\)", out), out
    assert re.search(r"\| 200 \(1 user\) \| [\d,]+ \| cursor middle \| [\d,.]+ \|", out), out
    assert "Index Scan" in out or "Index Only Scan" in out or "Seq Scan" in out  # EXPLAIN ANALYZE printed
    # Nothing left behind: the database is dropped and no process of the run survives.
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        left = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database_name]).fetchone()
    assert left is None
    started = re.search(r"^Stopped processes: ([\d ]+)$", out, re.MULTILINE).group(1).split()
    assert len(started) >= 7  # gunicorn ×3 (+2 for the large upload), one Celery worker per queue
    assert [pid for pid in started if _alive(int(pid))] == []


def _alive(pid: int) -> bool:
    """Running (a zombie awaiting its reaper does not count)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def test_signing_benchmark_runs_and_measures_both_serializers():
    done = subprocess.run([sys.executable, "-m", "bench.signing", "--rounds", "3", "--page", "10", "--presign"],
                          cwd=BASE_DIR, capture_output=True, text=True, timeout=120, check=False,
                          env={key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"})
    assert done.returncode == 0, done.stderr[-3000:]
    for row in ("without signed URLs", "with signed URLs", "presigned by botocore instead"):
        assert re.search(rf"\| {row} \| [\d.]+ \| [\d.]+ \|", done.stdout), done.stdout
    assert re.search(r"Signed URLs add -?[\d.]+ ms per page of 10", done.stdout), done.stdout
