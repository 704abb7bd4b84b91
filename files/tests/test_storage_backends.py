"""The file lifecycle on both storage backends: local disk and an S3-compatible server.

Every test taking ``storage_backend`` runs twice (see core/tests/storage_backends.py):
on MEDIA_ROOT, and on moto's S3 server over HTTP with the real boto3 client.
What a test says was stored is read back from the backend itself (the disk,
or the bucket through a separate boto3 client), not through the code under test.
"""

import hashlib
import io
import os
import time
import tracemalloc
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
import requests
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.db import connection
from PIL import Image

from core.storage import S3MediaStorage
from files.models import File, Status
from testing import samples, workers
from testing.live import shared_database_url
from testing.storage_backends import S3_BUCKET
from testing.uploads import FILES, UPLOAD, process_inline, upload

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024

def _worker_broker_url() -> str:
    """Database 10 of the Redis the run uses (not 11: the bench smoke run flushes that one)."""
    parts = urlsplit(os.environ.get("CELERY_BROKER_URL", ""))
    if parts.scheme != "redis":
        return "redis://127.0.0.1:6379/10"
    return urlunsplit(parts._replace(path="/10"))


WORKER_BROKER_URL = _worker_broker_url()
WORKER_TIMEOUT = 60


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def big_text(lines: int = 200_000) -> bytes:
    """About 3.5 MB of text: more than the read spool keeps in memory."""
    return b"".join(b"line %d of the big text file\n" % i for i in range(lines))


def test_upload_stores_the_bytes_in_the_backend(storage_backend, auth_client):
    content = b"<p>words the client calls html</p>\n"
    response = auth_client.post(UPLOAD, {"file": SimpleUploadedFile("page.html", content, "text/html")},
                                format="multipart")
    assert response.status_code == 201
    record = File.objects.get()
    assert storage_backend.stored_names() == [record.file.name]
    assert storage_backend.stored_bytes(record.file.name) == content
    if storage_backend.s3:
        head = storage_backend.s3.client.head_object(Bucket=S3_BUCKET,
                                                     Key=f"{storage_backend.prefix}/{record.file.name}")
        # The client's declared type is never trusted, not even as object metadata.
        assert head["ContentType"] == "application/octet-stream"


def test_large_upload_streams_to_the_backend_in_parts(storage_backend, auth_client):
    content = samples.random_bytes(12 * MIB + 123)
    response = upload(auth_client, content, "big.bin")
    assert response.status_code == 201
    assert response.json()["sha256"] == sha256(content)
    record = File.objects.get()
    assert storage_backend.stored_names() == [record.file.name]  # the upload's temp file is gone too
    assert storage_backend.stored_bytes(record.file.name) == content
    if storage_backend.s3:
        head = storage_backend.s3.client.head_object(Bucket=S3_BUCKET,
                                                     Key=f"{storage_backend.prefix}/{record.file.name}")
        # A multipart upload's ETag ends in its part count: 12 MiB in 5 MiB parts.
        assert head["ETag"].strip('"').endswith("-3")


def test_spooled_upload_goes_to_s3_without_holding_a_part_in_memory(s3_server, settings, media_root):
    part_size = 16 * MIB
    prefix = f"test-{uuid.uuid4().hex}"
    storage = S3MediaStorage(**{**s3_server.storage_options(prefix), "upload_part_size": part_size})
    spooled = TemporaryUploadedFile("big.bin", "application/octet-stream", 0, None)
    try:
        for _ in range(40):
            spooled.write(os.urandom(MIB))
        spooled.flush()
        storage.save("uploads/warm-up", spooled)  # loads every code path once
        tracemalloc.start()
        try:
            name = storage.save("uploads/measured", spooled)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    finally:
        spooled.close()
    head = s3_server.client.head_object(Bucket=S3_BUCKET, Key=f"{prefix}/{name}")
    assert head["ContentLength"] == 40 * MIB
    assert head["ETag"].strip('"').endswith("-3")
    # Reading parts into memory would hold at least two 16 MiB parts (two threads).
    assert peak < 8 * MIB, f"peak {peak / MIB:.1f} MiB while sending 40 MiB in 16 MiB parts"
    for key in s3_server.keys(prefix):
        s3_server.client.delete_object(Bucket=S3_BUCKET, Key=key)


KINDS = [
    pytest.param(samples.png((600, 400)), "photo.png",
                 {"width": 600, "height": 400, "format": "PNG", "mode": "RGB", "frames": 1}, id="image"),
    pytest.param(big_text(), "big.txt",
                 {"encoding": "utf-8", "lines": 200_000, "words": 1_400_000}, id="text"),
    pytest.param(samples.csv_bytes(), "people.csv", {"columns": 3, "header": ["name", "age", "city"]}, id="csv"),
    pytest.param(samples.pdf(pages=3), "paper.pdf",
                 {"pages": 3, "encrypted": False, "title": "Test document", "author": "Ada"}, id="document"),
    pytest.param(samples.zip_bytes(entries=4), "bundle.zip", {"entries": 4, "uncompressed_size": 4000},
                 id="archive"),
    pytest.param(samples.random_bytes(5000), "blob.bin", {}, id="other"),
]


@pytest.mark.parametrize(("content", "name", "expected"), KINDS)
def test_each_kind_is_processed_from_the_backend(storage_backend, auth_client, content, name, expected):
    created = upload(auth_client, content, name).json()
    record = process_inline(created["id"])
    assert (record.status, record.error) == (Status.PROCESSED, None)
    result = auth_client.get(f"{FILES}{record.id}/").json()["result"]
    assert {key: result[key] for key in expected} == expected
    if created["kind"] == "image":
        assert storage_backend.stored_names() == sorted([record.file.name, record.thumbnail.name])
        with Image.open(io.BytesIO(storage_backend.stored_bytes(record.thumbnail.name))) as thumbnail:
            assert (thumbnail.format, thumbnail.size) == ("WEBP", (256, 171))
    else:
        assert storage_backend.stored_names() == [record.file.name]


def test_thumbnail_is_written_back_and_served_from_the_backend(storage_backend, auth_client):
    created = upload(auth_client, samples.png((300, 600)), "tall.png").json()
    record = process_inline(created["id"])
    assert record.thumbnail.name == f"thumbnails/{record.id.hex[:2]}/{record.id.hex}.webp"
    response = auth_client.get(f"{FILES}{record.id}/thumbnail/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["Content-Disposition"] == "inline; filename=\"tall.png.webp\"; filename*=UTF-8''tall.png.webp"
    served = b"".join(response.streaming_content)
    assert served == storage_backend.stored_bytes(record.thumbnail.name)
    with Image.open(io.BytesIO(served)) as thumbnail:
        assert thumbnail.size == (128, 256)


def test_download_streams_the_bytes_from_the_backend(storage_backend, auth_client, settings):
    settings.S3_PRESIGNED_DOWNLOADS = False
    content = samples.random_bytes(3 * MIB + 7)
    created = upload(auth_client, content, "résumé 2026.bin").json()
    response = auth_client.get(f"{FILES}{created['id']}/download/")
    assert response.status_code == 200
    assert "Location" not in response
    assert response["Content-Length"] == str(len(content))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"r_sum_ 2026.bin\"; filename*=UTF-8''r%C3%A9sum%C3%A9%202026.bin")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == content


def test_presigned_download_redirects_to_the_bucket_on_s3(storage_backend, auth_client, settings):
    settings.S3_PRESIGNED_DOWNLOADS = True
    content = samples.png((40, 30))
    created = upload(auth_client, content, "café photo.png").json()
    process_inline(created["id"])
    download = auth_client.get(f"{FILES}{created['id']}/download/")
    thumbnail = auth_client.get(f"{FILES}{created['id']}/thumbnail/")
    disposition = "attachment; filename=\"caf_ photo.png\"; filename*=UTF-8''caf%C3%A9%20photo.png"
    if storage_backend.s3 is None:
        # Local storage cannot sign URLs: it streams whatever the setting says.
        assert download.status_code == 200
        assert download["Content-Disposition"] == disposition
        assert b"".join(download.streaming_content) == content
        assert thumbnail.status_code == 200
        return
    record = File.objects.get()
    for response, name in ((download, record.file.name), (thumbnail, record.thumbnail.name)):
        assert response.status_code == 302
        assert response["Cache-Control"] == "private, no-store"
        assert response["Location"].startswith(
            f"{storage_backend.s3.endpoint}/{S3_BUCKET}/{storage_backend.prefix}/{name}?")
        assert "X-Amz-Expires=300" in response["Location"]
    # The client follows the redirect without our token: the signature is the credential.
    fetched = requests.get(download["Location"], timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == content
    assert fetched.headers["Content-Disposition"] == disposition
    assert fetched.headers["Content-Type"] == "image/png"
    assert fetched.headers["Cache-Control"] == "private, no-store"
    fetched = requests.get(thumbnail["Location"], timeout=10)
    assert fetched.status_code == 200
    assert fetched.headers["Content-Type"] == "image/webp"
    assert fetched.headers["Content-Disposition"] == (
        "inline; filename=\"caf_ photo.png.webp\"; filename*=UTF-8''caf%C3%A9%20photo.png.webp")
    assert fetched.content == storage_backend.stored_bytes(record.thumbnail.name)


@pytest.mark.parametrize("presigned", [False, True], ids=["streamed", "presigned"])
def test_owner_and_block_checks_come_before_any_redirect(storage_backend, auth_client, other_client, settings,
                                                          presigned):
    settings.S3_PRESIGNED_DOWNLOADS = presigned
    created = upload(auth_client, samples.png(), "a.png").json()
    process_inline(created["id"])
    for endpoint in ("download", "thumbnail"):
        response = other_client.get(f"{FILES}{created['id']}/{endpoint}/")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert "Location" not in response
    File.objects.filter(pk=created["id"]).update(blocked=True)
    for endpoint in ("download", "thumbnail"):
        response = auth_client.get(f"{FILES}{created['id']}/{endpoint}/")
        assert response.status_code == 403
        assert response.json()["code"] == "file_blocked"
        assert "Location" not in response


def test_delete_removes_the_file_and_its_thumbnail_from_the_backend(storage_backend, auth_client, user,
                                                                    django_capture_on_commit_callbacks):
    created = upload(auth_client, samples.png(), "a.png").json()
    record = process_inline(created["id"])
    assert storage_backend.stored_names() == sorted([record.file.name, record.thumbnail.name])
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete(f"{FILES}{record.id}/")
    assert response.status_code == 204
    assert storage_backend.stored_names() == []
    assert not File.objects.exists()
    user.refresh_from_db()
    assert user.storage_used == 0


REFUSE_FILE_ROWS = """
CREATE FUNCTION test_refuse_file_row() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'the database refuses this row'; END $$ LANGUAGE plpgsql;
CREATE TRIGGER test_refuse_file_row BEFORE INSERT ON files_file
FOR EACH ROW EXECUTE FUNCTION test_refuse_file_row();
"""


def test_failed_upload_leaves_no_object_behind(storage_backend, auth_client, user):
    """The bytes reach the backend (in parts, on S3), then the row cannot be written."""
    if connection.vendor != "postgresql":
        pytest.skip("the failure is injected with a PostgreSQL trigger")
    with connection.cursor() as cursor:
        cursor.execute(REFUSE_FILE_ROWS)  # rolled back with the test's transaction
    response = upload(auth_client, samples.random_bytes(12 * MIB), "doomed.bin")
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
    assert storage_backend.stored_names() == []
    assert not File.objects.exists()
    user.refresh_from_db()
    assert user.storage_used == 0


# --- A real Celery worker process on the same backend ---------------------------------


@pytest.fixture
def worker_queues(settings):
    """Queues of this test's own on a Redis database of these tests' own.

    The queue names are unique, so another test run sharing this Redis (other
    developers run the suite on the same machine) can neither take our jobs
    nor hand us its own. Only our keys are removed afterwards.
    """
    from core.celery import app

    token = uuid.uuid4().hex[:8]
    by_kind = {"image": f"images-{token}", "document": f"documents-{token}"}
    default = f"default-{token}"
    settings.FILES_QUEUE_BY_KIND, settings.FILES_DEFAULT_QUEUE = by_kind, default
    previous = app.conf.get("broker_write_url")

    def publish_to(url):
        app.conf.broker_write_url = url
        # Drop the cached connection pools so the next publish connects to ``url``.
        app._pool = None
        app.amqp._producer_pool = None

    publish_to(WORKER_BROKER_URL)
    queues = [default, *by_kind.values()]
    try:
        yield {"FILES_QUEUE_BY_KIND": ",".join(f"{k}={v}" for k, v in by_kind.items()),
               "FILES_DEFAULT_QUEUE": default, "CELERY_BROKER_URL": WORKER_BROKER_URL, "queues": queues}
    finally:
        publish_to(previous)
        with redis.Redis.from_url(WORKER_BROKER_URL) as client:
            client.delete(*queues, *(f"_kombu.{table}.{name}" for name in queues
                                     for table in ("binding", "binding_permanent")))


@pytest.fixture
def celery_worker(storage_backend, worker_queues, transactional_db, tmp_path):
    """``celery worker`` on this test's queues, configured only through the environment.

    On S3 the worker gets a MEDIA_ROOT of its own: it shares nothing with the
    web side but the database, the broker and the bucket, like another host.
    """
    environment = storage_backend.environment()
    if storage_backend.s3:
        environment["MEDIA_ROOT"] = str(tmp_path / "worker-host-media")
    env = {
        **os.environ, **environment,
        **{key: value for key, value in worker_queues.items() if key != "queues"},
        "DJANGO_SETTINGS_MODULE": "core.settings",
        "DATABASE_URL": shared_database_url(),
        "VAR_DIR": str(tmp_path / "worker-var"),
    }
    with workers.celery_worker(queues=worker_queues["queues"], env=env, log_dir=tmp_path,
                               name=f"storage-test-{uuid.uuid4().hex[:8]}") as worker:
        yield worker


def wait_until_finished(file_ids, worker, queues) -> list[File]:
    deadline = time.monotonic() + WORKER_TIMEOUT
    while True:
        records = list(File.objects.filter(pk__in=file_ids))
        if all(r.status in (Status.PROCESSED, Status.FAILED) for r in records):
            return sorted(records, key=lambda r: file_ids.index(str(r.pk)))
        if worker.process.poll() is not None or time.monotonic() > deadline:
            with redis.Redis.from_url(WORKER_BROKER_URL) as client:
                waiting = {name: client.llen(name) for name in queues}
            pytest.fail(f"files not finished: {[(str(r.pk), r.status) for r in records]}; "
                        f"messages waiting: {waiting}; worker log:\n{worker.text()}")
        time.sleep(0.2)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_celery_worker_processes_uploads_through_the_backend(storage_backend, celery_worker, worker_queues,
                                                             auth_client, tmp_path):
    image = upload(auth_client, samples.png((512, 256)), "wide.png").json()
    document = upload(auth_client, samples.pdf(pages=2), "paper.pdf").json()
    text = upload(auth_client, big_text(), "big.txt").json()
    image_record, document_record, text_record = wait_until_finished(
        [image["id"], document["id"], text["id"]], celery_worker, worker_queues["queues"])
    assert [r.status for r in (image_record, document_record, text_record)] == [Status.PROCESSED] * 3
    assert (image_record.result["width"], image_record.result["height"]) == (512, 256)
    assert document_record.result["pages"] == 2
    assert text_record.result["lines"] == 200_000
    assert storage_backend.stored_names() == sorted(
        [image_record.file.name, image_record.thumbnail.name, document_record.file.name, text_record.file.name])
    response = auth_client.get(f"{FILES}{image['id']}/thumbnail/")
    assert response.status_code == 200
    with Image.open(io.BytesIO(b"".join(response.streaming_content))) as thumbnail:
        assert (thumbnail.format, thumbnail.size) == ("WEBP", (256, 128))
    if storage_backend.s3:
        # The worker's own disk held only temporary spools, and they are gone.
        assert [p for p in (tmp_path / "worker-host-media").rglob("*") if p.is_file()] == []
