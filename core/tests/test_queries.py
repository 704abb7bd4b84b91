"""``core.queries`` answers what the ORM answers, in fewer statements and without the QuerySet."""

import pytest
from django.db import connection
from django.db.models import F
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from core.queries import compile_update, get_by_pk, update_returning
from files.models import File
from testing.factories import FileFactory, UserFactory
from users.models import User

pytestmark = pytest.mark.django_db


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_get_by_pk_builds_the_instance_the_orm_builds():
    user = UserFactory(storage_used=1234)
    with CaptureQueriesContext(connection) as queries:
        found = get_by_pk(User, user.pk)
    assert len(queries) == 1
    assert _fields(found) == _fields(User.objects.get(pk=user.pk))
    assert found._state.adding is False and found._state.db == "default"
    assert found.check_password("password") == User.objects.get(pk=user.pk).check_password("password")


def test_get_by_pk_of_a_missing_row_is_none():
    assert get_by_pk(User, "00000000-0000-0000-0000-000000000000") is None


def test_update_returning_updates_and_answers_the_rows_in_one_statement():
    record = FileFactory(result={"pages": 3}, attempts=1)
    FileFactory(owner=record.owner)  # not matched
    with CaptureQueriesContext(connection) as queries:
        updated = update_returning(File.objects.filter(pk=record.pk), attempts=F("attempts") + 1, error="x")
    assert len(queries) == 1 and "RETURNING" in queries[0]["sql"]
    assert len(updated) == 1
    assert _fields(updated[0]) == _fields(File.objects.get(pk=record.pk))
    assert updated[0].attempts == 2 and updated[0].result == {"pages": 3}
    assert model_to_dict(updated[0]) == model_to_dict(File.objects.get(pk=record.pk))


def test_update_returning_that_matches_nothing_changes_nothing():
    record = FileFactory(attempts=1)
    assert update_returning(File.objects.filter(pk=record.pk, attempts=5), attempts=9) == []
    assert File.objects.get(pk=record.pk).attempts == 1


def test_compile_update_is_the_sql_of_queryset_update():
    record = FileFactory()
    queryset = File.objects.filter(pk=record.pk)
    sql, params = compile_update(queryset, error="x")
    with CaptureQueriesContext(connection) as queries:
        queryset.update(error="x")
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    orm, compiled = (query["sql"] for query in queries.captured_queries)
    assert compiled == orm


def test_compile_update_refuses_a_filter_across_tables():
    with pytest.raises(ValueError, match="own table"):
        compile_update(File.objects.filter(owner__username="someone"), error="x")


def _same_params(left, right) -> bool:
    """Parameters compare equal; psycopg's JSON wrappers by what they wrap and how they dump it."""
    unwrap = [(getattr(p, "obj", p), getattr(p, "dumps", None)) for p in (*left, *right)]
    return len(left) == len(right) and unwrap[: len(left)] == unwrap[len(left):]


@pytest.mark.parametrize("status, result, error, thumbnail", [
    ("processed", {"pages": 3, "title": "x"}, None, "thumbnails/ab/abc.webp"),
    ("processed", None, None, ""),
    ("failed", None, "broken", ""),
])
def test_the_finish_template_is_what_the_orm_compiles_for_every_shape(status, result, error, thumbnail):
    import uuid

    from django.utils import timezone

    from files import processing

    for _ in range(2):  # the second use fills in the compiled template
        values = {"pk": uuid.uuid4(), "task_id": f"task-{uuid.uuid4()}", "now": timezone.now(),
                  "processed_at": timezone.now() if status == "processed" else None,
                  "result": result, "error": error, "thumbnail": thumbnail}
        sql, params = processing._FINISH.sql(status, **values)
        queryset, fields = processing._finish_update(status, **values)
        expected_sql, expected_params = compile_update(queryset, **fields)
        assert sql == expected_sql
        assert _same_params(params, expected_params)


def test_the_claim_template_is_what_the_orm_compiles():
    import uuid

    from django.utils import timezone

    from files import processing

    for _ in range(2):
        values = {"file_id": uuid.uuid4(), "task_id": str(uuid.uuid4()), "stale": processing.stale_before(),
                  "now": timezone.now()}
        sql, params = processing._CLAIM.sql(**values)
        queryset, fields = processing._claim(**values)
        expected_sql, expected_params = compile_update(queryset, **fields)
        assert (sql, list(params)) == (expected_sql, list(expected_params))


def test_a_template_refuses_a_value_derived_inside_build():
    import uuid

    from core.queries import UpdateTemplate

    derived = UpdateTemplate(lambda shape, owner, size: (User.objects.filter(pk=owner, storage_used__lte=1000 - size),
                                                         {"storage_used": F("storage_used") + size}),
                             owner=uuid.UUID, size=int)
    with pytest.raises(ValueError, match="pass every varying value"):
        derived.sql(owner=uuid.uuid4(), size=10)
    passed = UpdateTemplate(lambda shape, owner, size, room: (User.objects.filter(pk=owner, storage_used__lte=room),
                                                              {"storage_used": F("storage_used") + size}),
                            owner=uuid.UUID, size=int, room=int)
    owner = UserFactory(storage_used=10)
    with connection.cursor() as cursor:
        cursor.execute(*passed.sql(owner=owner.pk, size=5, room=995))
        assert cursor.rowcount == 1
        cursor.execute(*passed.sql(owner=owner.pk, size=5, room=0))
        assert cursor.rowcount == 0
    owner.refresh_from_db()
    assert owner.storage_used == 15


def test_a_template_refuses_a_value_the_orm_converts():
    import uuid

    from core.queries import UpdateTemplate

    converted = UpdateTemplate(lambda shape, name: (User.objects.filter(username=name), {"storage_used": 0}),
                               name=uuid.UUID)  # a CharField makes the UUID a str
    with pytest.raises(ValueError, match="name: the ORM changed"):
        converted.sql(name=uuid.uuid4())
