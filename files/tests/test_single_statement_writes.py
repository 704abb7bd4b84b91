"""On PostgreSQL an upload's and a finished file's writes are one statement each (issue 19); they leave
exactly what the portable path (the ORM, as on SQLite) leaves: the same row, the same event, the same quota."""

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from events.models import Event
from files import processing, services
from files.enums import Kind, Status
from files.errors import QuotaExceeded
from files.models import File
from testing.factories import FileFactory, UserFactory

pytestmark = pytest.mark.django_db

# What differs between two rows written a moment apart, whichever path wrote them.
OWN = {"id", "name", "file", "uploaded_at", "status_changed_at", "processed_at", "sha256"}


@pytest.fixture
def portable(monkeypatch):
    """Run the code paths other databases take (the ORM, several statements) on this PostgreSQL."""

    def use():
        monkeypatch.setattr(connections["default"], "vendor", "portable")

    return use


def _new_file(owner, name: str) -> File:
    record = File(owner=owner, name=name, size=11, content_type="text/plain", kind=Kind.TEXT, sha256=name * 8,
                  idempotency_key=None)
    record.file.name = f"uploads/{name}"
    return record


def _row(record: File) -> dict:
    row = File.objects.filter(pk=record.pk).values().get()
    return {key: value for key, value in row.items() if key not in OWN}


def _event(record: File) -> dict:
    event = Event.objects.get(file_id=record.pk)
    return {"type": event.type, "owner_id": event.owner_id,
            "file": {key: value for key, value in event.file.items() if key not in OWN}}


def _insert(record: File, reserve: int | None) -> int:
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        services._file_insert(record, reserve=reserve)
    return len(_writes(queries))


def _writes(queries) -> list[str]:
    """The statements sent (not the transaction's or savepoints' own): the webhook lookup rides in the one."""
    return [q["sql"] for q in queries.captured_queries
            if q["sql"].split()[0] not in ("BEGIN", "SAVEPOINT", "RELEASE", "COMMIT")]


@pytest.mark.parametrize("quota", [0, 10**9])  # none, and one with room
@pytest.mark.parametrize("reserve", [None, 11])
def test_an_upload_writes_what_the_portable_path_writes(portable, settings, reserve, quota):
    settings.FILES_USER_QUOTA = quota
    owner = UserFactory(storage_used=100)
    fast = _new_file(owner, "aaaaaaaa")
    statements = _insert(fast, reserve)
    portable()
    slow = _new_file(owner, "bbbbbbbb")
    _insert(slow, reserve)

    assert statements == 1  # the webhook lookup included
    assert _row(fast) == _row(slow)
    assert _event(fast) == _event(slow)
    assert _row(fast)["owner_id"] == owner.pk and _event(fast)["type"] == "file.created"
    owner.refresh_from_db()
    assert owner.storage_used == 100 + 2 * (reserve or 0)


def test_an_upload_over_the_quota_writes_nothing(settings):
    settings.FILES_USER_QUOTA = 100
    owner = UserFactory(storage_used=95)
    record = _new_file(owner, "cccccccc")
    with pytest.raises(QuotaExceeded) as refused, transaction.atomic():
        services._file_insert(record, reserve=11)
    assert refused.value.code == "quota_exceeded"
    assert str(refused.value.detail) == "The file needs 11 bytes, but only 5 bytes of your 100 bytes quota is left."
    assert not File.objects.filter(owner=owner).exists()
    assert not Event.objects.filter(owner=owner).exists()
    owner.refresh_from_db()
    assert owner.storage_used == 95


@pytest.mark.parametrize("status", [Status.PROCESSED, Status.FAILED])
def test_finishing_a_file_writes_what_the_portable_path_writes(portable, status):
    owner = UserFactory()
    fast, slow = FileFactory(owner=owner), FileFactory(owner=owner)
    for record in (fast, slow):
        File.objects.filter(pk=record.pk).update(status=Status.PROCESSING, claimed_by="task", attempts=1)
        record.refresh_from_db()
    outcome = {"result": {"lines": 1}} if status == Status.PROCESSED else {"error": "broken"}

    with CaptureQueriesContext(connection) as queries:
        assert processing._finish(fast, "task", status, **outcome) is True
    portable()
    assert processing._finish(slow, "task", status, **outcome) is True

    assert len(_writes(queries)) == 1
    assert _row(fast) == _row(slow)
    assert _event(fast) == _event(slow)
    assert _row(fast)["status"] == status and _row(fast)["claimed_by"] == ""
    # The instance is the row, as the portable path leaves it.
    assert {f: getattr(fast, f) for f in ("status", "processed", "result", "error")} == {
        f: getattr(slow, f) for f in ("status", "processed", "result", "error")}


def test_finishing_a_file_claimed_by_another_task_changes_nothing():
    record = FileFactory()
    File.objects.filter(pk=record.pk).update(status=Status.PROCESSING, claimed_by="other", attempts=1)
    record.refresh_from_db()
    assert processing._finish(record, "task", Status.PROCESSED, result={"lines": 1}) is False
    assert record.status == Status.PROCESSING and record.result is None  # the instance is left as it was
    assert File.objects.get(pk=record.pk).status == Status.PROCESSING
    assert not Event.objects.filter(file_id=record.pk).exists()


def test_the_webhook_endpoints_an_event_goes_to_are_read_in_its_statement(monkeypatch,
                                                                          django_capture_on_commit_callbacks):
    from webhooks import publishing
    from webhooks.models import Endpoint

    owner = UserFactory()
    taking = Endpoint.objects.create(owner=owner, url="https://example.com/a", events=["file.created"], secret="s")
    Endpoint.objects.create(owner=owner, url="https://example.com/b", events=["file.deleted"], secret="s")
    Endpoint.objects.create(owner=owner, url="https://example.com/c", events=["file.created"], secret="s",
                            active=False)
    Endpoint.objects.create(owner=UserFactory(), url="https://example.com/d", events=["file.created"], secret="s")
    published = []
    monkeypatch.setattr(publishing, "enqueue_delivery", lambda **kwargs: published.append(kwargs))
    record = _new_file(owner, "dddddddd")
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        _insert(record, reserve=None)
    assert len(_writes(queries)) == 1 and "webhooks_endpoint" in _writes(queries)[0]
    event = Event.objects.get(file_id=record.pk)
    assert published == [{"endpoint_id": str(taking.pk), "message_id": str(event.id), "event_type": "file.created"}]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("key", [None, "retry-1"])
def test_an_upload_without_a_key_runs_outside_a_transaction_block(auth_client, media_root, monkeypatch, key):
    """Its one statement commits by itself (no BEGIN/COMMIT); a key's release and the insert share one."""
    from testing.uploads import upload

    blocks = []
    atomic = transaction.Atomic.__enter__
    monkeypatch.setattr(transaction.Atomic, "__enter__", lambda self: blocks.append(1) or atomic(self))
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    response = upload(auth_client, b"hello there\n", "hello.txt", **extra)
    assert response.status_code == 201
    assert len(blocks) == (1 if key else 0)
    record = File.objects.get(pk=response.json()["id"])
    assert Event.objects.filter(file_id=record.pk, type="file.created").count() == 1
    assert record.file.storage.exists(record.file.name)


@pytest.mark.django_db(transaction=True)
def test_an_upload_refused_by_its_statement_leaves_nothing(auth_client, user, media_root, settings):
    from testing.uploads import upload

    settings.FILES_USER_QUOTA = 100
    type(user).objects.filter(pk=user.pk).update(storage_used=95)
    response = upload(auth_client, b"eleven bytes", "over.txt")
    assert response.status_code == 413 and response.json()["code"] == "quota_exceeded"
    assert not File.objects.exists() and not Event.objects.exists()
    assert not [path for path in media_root.rglob("*") if path.is_file()]
    user.refresh_from_db()
    assert user.storage_used == 95


@pytest.mark.django_db(transaction=True)
def test_an_upload_the_database_refuses_outside_a_transaction_leaves_nothing(auth_client, user, media_root):
    """The statement fails on its own (no transaction block): no row, no event, no bytes, no quota used."""
    from files.tests.test_storage_backends import REFUSE_FILE_ROWS
    from testing.uploads import upload

    with connection.cursor() as cursor:
        cursor.execute(REFUSE_FILE_ROWS)
    try:
        response = upload(auth_client, b"refused by the database\n", "refused.txt")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER test_refuse_file_row ON files_file; DROP FUNCTION test_refuse_file_row();")
    assert response.status_code == 500 and response.json()["code"] == "server_error"
    assert not File.objects.exists() and not Event.objects.exists()
    assert not [path for path in media_root.rglob("*") if path.is_file()]
    user.refresh_from_db()
    assert user.storage_used == 0
    assert upload(auth_client, b"accepted afterwards\n", "fine.txt").status_code == 201
