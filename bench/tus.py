"""Resumable (tus) uploads against one multipart POST of the same file, on local disk and moto S3.

For each storage backend: moto's S3 server (for ``s3``) and gunicorn with one
sync worker (SQLite and media under a temporary VAR_DIR) on free 127.0.0.1
ports; one file sent as a streamed multipart POST and as tus (create, then
PATCHes of ``chunk`` bytes), both checked by sha256. Reports MB/s and the web
worker's peak RSS growth (VmHWM, reset through /proc/<pid>/clear_refs before
each upload). Everything it started is stopped.

    .venv/bin/python -m bench.tus --size-mb 100 --chunk-mb 8
"""

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import requests

from testing.processes import free_port, stop_process, wait_for_http

from .loadgen import payload
from .s3_upload_memory import S3_CREDENTIALS, MultipartBody, reset_peak, rss_kib

BASE_DIR = Path(__file__).resolve().parent.parent
BUCKET = "bench-tus"
MIB = 1024 * 1024
TUS = {"Tus-Resumable": "1.0.0"}


def _backend_env(backend: str, tmp: Path, size: int, processes: list) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "core.settings", "VAR_DIR": str(tmp / "var"),
           "MEDIA_ROOT": str(tmp / "media"), "FILES_MAX_UPLOAD_SIZE": str(size + MIB), "FILES_USER_QUOTA": "0",
           "THROTTLE_UPLOAD": "10000/min", "THROTTLE_USER": "10000/min", "DJANGO_DEBUG": "true",
           "STORAGE_BACKEND": backend}
    for key in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_CACHE_URL"):
        env.pop(key, None)
    if backend == "s3":
        port = free_port()
        endpoint = f"http://127.0.0.1:{port}"
        moto = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        processes.append(moto)
        wait_for_http(moto, endpoint, lambda: "", "moto_server")
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **S3_CREDENTIALS).create_bucket(
            Bucket=BUCKET)
        env.update({"S3_BUCKET": BUCKET, "S3_ENDPOINT_URL": endpoint, "S3_ACCESS_KEY_ID": "bench",
                    "S3_SECRET_ACCESS_KEY": "bench", "S3_PREFIX": "bench", "S3_UPLOAD_PART_SIZE": str(8 * MIB)})
    return env


def _start_web(env: dict, processes: list) -> tuple[str, int, str]:
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], env=env, check=True, cwd=BASE_DIR)
    token = subprocess.run(
        [*manage, "shell", "-c",
         "from users.models import User; from rest_framework_simplejwt.tokens import RefreshToken; "
         "print(RefreshToken.for_user(User.objects.create_user('bench', 'b@example.com', 'x')).access_token)"],
        env=env, check=True, cwd=BASE_DIR, capture_output=True, text=True).stdout.split()[-1]
    port = free_port()
    web = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "core.wsgi", "--bind",
                            f"127.0.0.1:{port}", "--workers", "1", "--timeout", "600", "--log-level", "warning"],
                           env=env, cwd=BASE_DIR, start_new_session=True)
    processes.append(web)
    base = f"http://127.0.0.1:{port}"
    wait_for_http(web, f"{base}/health/live/", lambda: "", "gunicorn")
    worker = int(subprocess.run(["pgrep", "-P", str(web.pid)], capture_output=True, text=True,
                                check=True).stdout.split()[0])
    return base, worker, token


def _multipart(session, base: str, source: Path) -> str:
    body = MultipartBody(source)
    response = session.post(f"{base}/api/v1/upload/", data=body, headers={"Content-Type": body.content_type},
                            timeout=600)
    response.raise_for_status()
    return response.json()["sha256"]


def _tus(session, base: str, source: Path, chunk: int) -> str:
    size = source.stat().st_size
    created = session.post(f"{base}/api/v1/uploads/", timeout=60,
                           headers={**TUS, "Upload-Length": str(size), "Upload-Metadata": "filename YmlnLmJpbg=="})
    created.raise_for_status()
    url = created.headers["Location"]
    with source.open("rb") as stream:
        offset = 0
        while offset < size:
            body = stream.read(chunk)
            answered = session.patch(url, data=body, timeout=600, headers={
                **TUS, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})
            answered.raise_for_status()
            offset += len(body)
    done = session.get(url, headers=TUS, timeout=60)
    done.raise_for_status()
    return done.json()["file"]["sha256"]


def _measure(worker: int, upload, *args) -> tuple[float, float, str]:
    before = rss_kib(worker, "VmRSS")
    reset_peak(worker)
    started = time.monotonic()
    digest = upload(*args)
    seconds = time.monotonic() - started
    return seconds, max(0, rss_kib(worker, "VmHWM") - before) / 1024, digest


def tus_vs_multipart(*, size: int, chunk: int, rounds: int = 3, backends=("local", "s3")) -> str:
    """The Markdown table: per backend, multipart and tus MB/s (median of ``rounds`` uploads each,
    alternating) and the worker's largest peak RSS growth over the rounds."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="tus-bench-") as tmp:
        tmp = Path(tmp)
        source = tmp / "big.bin"
        digest = hashlib.sha256()
        with source.open("wb") as out:
            for index in range(size // MIB):
                # The first block behind loadgen's prefix: bare random bytes sniff as a DOS executable
                # (415) about once in a hundred.
                block = payload("random", MIB) if index == 0 else os.urandom(MIB)
                digest.update(block)
                out.write(block)
        for backend in backends:
            processes: list = []
            try:
                env = _backend_env(backend, tmp / backend, size, processes)
                base, worker, token = _start_web(env, processes)
                session = requests.Session()
                session.headers["Authorization"] = f"Bearer {token}"
                warm = tmp / "warm.bin"
                warm.write_bytes(payload("random", 64 * 1024))
                _multipart(session, base, warm)
                _tus(session, base, warm, chunk)
                measured = {"multipart POST": [], f"tus, {chunk // MIB} MiB chunks": []}
                for _ in range(rounds):
                    measured["multipart POST"].append(_measure(worker, _multipart, session, base, source))
                    measured[f"tus, {chunk // MIB} MiB chunks"].append(_measure(worker, _tus, session, base, source,
                                                                               chunk))
                results = {variant: (statistics.median(r[0] for r in runs), max(r[1] for r in runs),
                                     {r[2] for r in runs}) for variant, runs in measured.items()}
            finally:
                for process in reversed(processes):
                    stop_process(process)
            multipart_rate = size / MIB / results["multipart POST"][0]
            for variant, (seconds, rss, digests) in results.items():
                assert digests == {digest.hexdigest()}, f"{backend} {variant}: stored bytes differ"
                rate = size / MIB / seconds
                rows.append(f"| {backend} | {variant} | {seconds:.2f} | {rate:.0f} | {rate / multipart_rate:.2f}× "
                            f"| +{rss:.1f} |")
    header = (f"{size // MIB} MiB file, gunicorn with 1 sync worker, loopback, sha256 checked; median of "
              f"{rounds} uploads per row, the largest RSS growth of the {rounds}.\n\n"
              "| storage | upload | seconds | MiB/s | vs multipart | worker peak RSS growth (MiB) |\n"
              "|---|---|---:|---:|---:|---:|")
    return "\n".join([header, *rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=100)
    parser.add_argument("--chunk-mb", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(tus_vs_multipart(size=args.size_mb * MIB, chunk=args.chunk_mb * MIB, rounds=args.rounds))


if __name__ == "__main__":
    main()
