"""Fixtures that run storage-dependent tests on both backends.

``storage_backend`` is parametrized over ``local`` (MEDIA_ROOT on disk) and
``s3``: a real S3-compatible HTTP server (moto's server mode, one process per
test session on a free 127.0.0.1 port) reached through the real boto3 client.
Each S3 test gets its own key prefix, so what it stored can be listed exactly.
Loaded for every app by the root conftest (``pytest_plugins = ["testing.storage_backends"]``).
"""

import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from testing.processes import STARTUP_TIMEOUT, free_port, start_process, stop_process

S3_BUCKET = "uploads-test"
S3_REGION = "us-east-1"
S3_ACCESS_KEY_ID = "testing"
S3_SECRET_ACCESS_KEY = "testing"
# S3's smallest part: a 12 MiB upload already goes up in three parts.
S3_TEST_PART_SIZE = 5 * 1024 * 1024
S3_TEST_CONCURRENCY = 2


@dataclass
class S3Server:
    """A running moto server with the test bucket created."""

    endpoint: str
    client: object = field(repr=False)

    def storage_options(self, prefix: str, bucket: str = S3_BUCKET) -> dict:
        """``STORAGES["default"]["OPTIONS"]`` for this server, as settings.py builds them from S3_*."""
        return {
            "bucket_name": bucket, "endpoint_url": self.endpoint, "region_name": S3_REGION,
            "access_key": S3_ACCESS_KEY_ID, "secret_key": S3_SECRET_ACCESS_KEY, "location": prefix,
            "addressing_style": "path", "upload_part_size": S3_TEST_PART_SIZE,
            "upload_concurrency": S3_TEST_CONCURRENCY, "default_acl": None, "querystring_auth": True,
            "file_overwrite": True,
        }

    def environment(self, prefix: str) -> dict[str, str]:
        """The same configuration as environment variables, for processes we start."""
        return {
            "STORAGE_BACKEND": "s3", "S3_BUCKET": S3_BUCKET, "S3_ENDPOINT_URL": self.endpoint,
            "S3_REGION": S3_REGION, "S3_ACCESS_KEY_ID": S3_ACCESS_KEY_ID,
            "S3_SECRET_ACCESS_KEY": S3_SECRET_ACCESS_KEY, "S3_PREFIX": prefix,
            "S3_UPLOAD_PART_SIZE": str(S3_TEST_PART_SIZE), "S3_UPLOAD_CONCURRENCY": str(S3_TEST_CONCURRENCY),
        }

    def keys(self, prefix: str) -> list[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        return [obj["Key"] for page in paginator.paginate(Bucket=S3_BUCKET, Prefix=f"{prefix}/")
                for obj in page.get("Contents", ())]


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """moto's S3 server in its own process for the session; killed at the end, even on failure."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("moto") / "moto_server.log"
    process = start_process([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            log=log_path)
    try:
        client = boto3.client(
            "s3", endpoint_url=endpoint, region_name=S3_REGION, aws_access_key_id=S3_ACCESS_KEY_ID,
            aws_secret_access_key=S3_SECRET_ACCESS_KEY,
            config=Config(connect_timeout=1, read_timeout=10, retries={"max_attempts": 1}),
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"moto_server exited with {process.returncode}:\n{log_path.read_text()}")
            try:
                client.create_bucket(Bucket=S3_BUCKET)
                break
            except Exception:
                if time.monotonic() > deadline:
                    pytest.fail(f"moto_server did not answer within {STARTUP_TIMEOUT}s:\n"
                                f"{log_path.read_text()}")
                time.sleep(0.2)
        yield S3Server(endpoint=endpoint, client=client)
    finally:
        stop_process(process)


@dataclass
class StorageBackend:
    """The backend a test runs on, and what it holds (to prove bytes arrived or are gone)."""

    name: str
    media_root: Path
    s3: S3Server | None = None
    prefix: str = ""

    def stored_names(self) -> list[str]:
        """Every stored object, relative to the storage root, temporary upload files included.

        On S3 these are the bucket's keys under the test's prefix, and any file
        left on local disk is listed too, as ``local disk: <path>``.
        """
        on_disk = [str(p.relative_to(self.media_root)) for p in self.media_root.rglob("*") if p.is_file()]
        if self.s3 is None:
            return sorted(on_disk)
        in_bucket = [key[len(self.prefix) + 1:] for key in self.s3.keys(self.prefix)]
        return sorted(in_bucket + [f"local disk: {name}" for name in on_disk])

    def stored_bytes(self, name: str) -> bytes:
        """The bytes as the backend holds them, read without Django's storage API."""
        if self.s3 is None:
            return (self.media_root / name).read_bytes()
        return self.s3.client.get_object(Bucket=S3_BUCKET, Key=f"{self.prefix}/{name}")["Body"].read()

    def environment(self) -> dict[str, str]:
        """Environment for a process (a Celery worker) that must use this same storage."""
        if self.s3 is None:
            return {"STORAGE_BACKEND": "local", "MEDIA_ROOT": str(self.media_root)}
        return {**self.s3.environment(self.prefix), "MEDIA_ROOT": str(self.media_root)}


@pytest.fixture(params=["local", "s3"])
def storage_backend(request, settings, media_root):
    """Run the test once on local disk and once on the S3 server (settings.STORAGES switched;
    Django's storage cache is reset by the setting_changed signal)."""
    if request.param == "local":
        settings.STORAGES = {**settings.STORAGES,
                             "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
        yield StorageBackend(name="local", media_root=media_root)
        return
    s3 = request.getfixturevalue("s3_server")
    prefix = f"test-{uuid.uuid4().hex}"
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "core.storage.S3MediaStorage", "OPTIONS": s3.storage_options(prefix)}}
    yield StorageBackend(name="s3", media_root=media_root, s3=s3, prefix=prefix)
    for key in s3.keys(prefix):
        s3.client.delete_object(Bucket=S3_BUCKET, Key=key)
