"""How much memory a large upload to S3 costs the web process, and how fast it goes.

Starts moto's S3 server and gunicorn (one sync worker, STORAGE_BACKEND=s3,
SQLite under a temporary VAR_DIR) on free 127.0.0.1 ports, uploads one large
file through the real API with a streamed request body, and reads the
worker's peak RSS (VmHWM, reset through /proc/<pid>/clear_refs just before
the upload). Then downloads it back (streamed from the bucket) the same way.
Prints a table; everything it started is stopped.

    .venv/bin/python bench/s3_upload_memory.py --size-mb 200
    .venv/bin/python bench/s3_upload_memory.py --size-mb 200 --part-mb 16 --concurrency 8
"""

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import requests

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from testing.processes import free_port, stop_process, wait_for_http  # noqa: E402

BUCKET = "bench-uploads"
# moto accepts any credentials.
S3_CREDENTIALS = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench"}
MIB = 1024 * 1024


class MultipartBody:
    """A multipart/form-data body streamed from a file on disk, with a known length."""

    def __init__(self, path: Path, boundary: str = "benchboundary7f3a"):
        self.content_type = f"multipart/form-data; boundary={boundary}"
        self._parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode(),
            path,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
        self._length = len(self._parts[0]) + path.stat().st_size + len(self._parts[2])
        self._file = None
        self._index = 0

    def __len__(self):
        return self._length

    def read(self, size: int = -1) -> bytes:
        while self._index < len(self._parts):
            part = self._parts[self._index]
            if isinstance(part, bytes):
                self._index += 1
                return part
            if self._file is None:
                self._file = open(part, "rb")  # noqa: SIM115 - closed when exhausted
            chunk = self._file.read(size if size and size > 0 else MIB)
            if chunk:
                return chunk
            self._file.close()
            self._index += 1
        return b""


def rss_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--part-mb", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    processes = []
    with tempfile.TemporaryDirectory(prefix="s3-bench-") as tmp:
        tmp = Path(tmp)
        try:
            s3_port, web_port = free_port(), free_port()
            endpoint = f"http://127.0.0.1:{s3_port}"
            moto = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(s3_port)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            processes.append(moto)
            wait_for_http(moto, endpoint, lambda: "", "moto_server")
            s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **S3_CREDENTIALS)
            s3.create_bucket(Bucket=BUCKET)

            env = {**os.environ, "DJANGO_SETTINGS_MODULE": "core.settings", "VAR_DIR": str(tmp / "var"),
                   "STORAGE_BACKEND": "s3", "S3_BUCKET": BUCKET, "S3_ENDPOINT_URL": endpoint,
                   "S3_ACCESS_KEY_ID": "bench", "S3_SECRET_ACCESS_KEY": "bench", "S3_PREFIX": "bench",
                   "S3_UPLOAD_PART_SIZE": str(args.part_mb * MIB), "S3_UPLOAD_CONCURRENCY": str(args.concurrency),
                   "FILES_MAX_UPLOAD_SIZE": str((args.size_mb + 1) * MIB), "FILES_USER_QUOTA": "0",
                   "THROTTLE_UPLOAD": "1000/min", "THROTTLE_USER": "1000/min", "DJANGO_DEBUG": "true"}
            for key in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_CACHE_URL"):
                env.pop(key, None)
            manage = [sys.executable, str(BASE_DIR / "manage.py")]
            subprocess.run([*manage, "migrate", "--no-input", "-v0"], env=env, check=True, cwd=BASE_DIR)
            token = subprocess.run(
                [*manage, "shell", "-c",
                 "from users.models import User; from rest_framework_simplejwt.tokens import RefreshToken; "
                 "print(RefreshToken.for_user(User.objects.create_user('bench', 'b@example.com', 'x'))"
                 ".access_token)"],
                env=env, check=True, cwd=BASE_DIR, capture_output=True, text=True).stdout.split()[-1]

            web = subprocess.Popen(
                [str(Path(sys.executable).parent / "gunicorn"), "core.wsgi", "--bind", f"127.0.0.1:{web_port}",
                 "--workers", "1", "--timeout", "600", "--log-level", "warning"],
                env=env, cwd=BASE_DIR, start_new_session=True)
            processes.append(web)
            base = f"http://127.0.0.1:{web_port}"
            wait_for_http(web, f"{base}/health/live/", lambda: "", "gunicorn")
            worker_pid = int(subprocess.run(["pgrep", "-P", str(web.pid)], capture_output=True, text=True,
                                            check=True).stdout.split()[0])
            headers = {"Authorization": f"Bearer {token}"}

            source = tmp / "big.bin"
            digest = hashlib.sha256()
            with source.open("wb") as out:
                for _ in range(args.size_mb):
                    block = os.urandom(MIB)
                    digest.update(block)
                    out.write(block)

            # A small upload first, so the measured one starts from a warm process.
            warm = requests.post(f"{base}/api/v1/upload/", headers=headers, files={"file": ("w.txt", b"warm\n")},
                                 timeout=60)
            warm.raise_for_status()
            baseline = rss_kib(worker_pid, "VmRSS")
            reset_peak(worker_pid)
            body = MultipartBody(source)
            started = time.monotonic()
            response = requests.post(f"{base}/api/v1/upload/", data=body,
                                     headers={**headers, "Content-Type": body.content_type}, timeout=600)
            upload_seconds = time.monotonic() - started
            response.raise_for_status()
            upload_peak = rss_kib(worker_pid, "VmHWM")
            created = response.json()
            assert created["sha256"] == digest.hexdigest(), "stored bytes differ"

            before_download = rss_kib(worker_pid, "VmRSS")
            reset_peak(worker_pid)
            started = time.monotonic()
            downloaded = hashlib.sha256()
            with requests.get(created["file"], headers=headers, stream=True, timeout=600) as download:
                download.raise_for_status()
                for chunk in download.iter_content(MIB):
                    downloaded.update(chunk)
            download_seconds = time.monotonic() - started
            download_peak = rss_kib(worker_pid, "VmHWM")
            assert downloaded.hexdigest() == digest.hexdigest(), "downloaded bytes differ"

            listing = s3.list_objects_v2(Bucket=BUCKET, Prefix="bench/uploads/")
            big = max(listing["Contents"], key=lambda o: o["Size"])
            parts = big["ETag"].strip('"').rpartition("-")[2]
        finally:
            for process in reversed(processes):
                stop_process(process)

    print(f"\nS3 upload/download through gunicorn (1 sync worker) to moto_server, "
          f"part {args.part_mb} MiB × concurrency {args.concurrency}")
    print(f"| {'file':>8} | {'parts':>5} | {'worker RSS before':>17} | {'peak during upload':>18} | "
          f"{'upload':>14} | {'peak during download':>20} | {'download':>14} |")
    print(f"|{'-' * 10}|{'-' * 7}|{'-' * 19}|{'-' * 20}|{'-' * 16}|{'-' * 22}|{'-' * 16}|")
    print(f"| {args.size_mb:>5} MB | {parts:>5} | {baseline / 1024:>14.1f} MB | "
          f"{upload_peak / 1024:>9.1f} MB (+{(upload_peak - baseline) / 1024:.1f}) | "
          f"{upload_seconds:>5.1f}s {args.size_mb / upload_seconds:>4.0f} MB/s | "
          f"{download_peak / 1024:>11.1f} MB (+{(download_peak - before_download) / 1024:.1f}) | "
          f"{download_seconds:>5.1f}s {args.size_mb / download_seconds:>4.0f} MB/s |")


if __name__ == "__main__":
    main()
