"""Readiness checks the storage backend: a probe file on disk, the bucket on S3."""

import time

import pytest

from testing.processes import free_port

pytestmark = pytest.mark.django_db

READY = "/health/ready/"


def test_ready_checks_the_storage_and_leaves_nothing_behind(storage_backend, client):
    response = client.get(READY)
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok", "storage": "ok"}
    assert storage_backend.stored_names() == []


def _point_storage_at(settings, s3_server, **overrides):
    options = {**s3_server.storage_options("health"), **overrides}
    settings.STORAGES = {**settings.STORAGES,
                         "default": {"BACKEND": "core.storage.S3MediaStorage", "OPTIONS": options}}


def test_ready_is_503_naming_storage_when_the_bucket_is_missing(s3_server, settings, client):
    _point_storage_at(settings, s3_server, bucket_name="no-such-bucket")
    response = client.get(READY)
    assert response.status_code == 503
    assert response.json() == {
        "code": "unavailable", "detail": "Not ready: storage unavailable.",
        "errors": {"database": ["ok"], "broker": ["ok"], "storage": ["unavailable"]},
    }


def test_ready_answers_within_seconds_when_the_s3_endpoint_is_down(s3_server, settings, client):
    _point_storage_at(settings, s3_server, endpoint_url=f"http://127.0.0.1:{free_port()}")
    started = time.monotonic()
    response = client.get(READY)
    assert response.status_code == 503
    assert response.json()["errors"]["storage"] == ["unavailable"]
    assert time.monotonic() - started < 5


def test_ready_on_local_disk_writes_nothing(settings, client, media_root):
    """Finding 7: a probe answered every few seconds must not create (and delete) a file each time."""
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    before = media_root.stat().st_mtime_ns
    for _ in range(3):
        assert client.get(READY).status_code == 200
    assert media_root.stat().st_mtime_ns == before
    assert sorted(p.name for p in media_root.iterdir()) == [".tmp"]

