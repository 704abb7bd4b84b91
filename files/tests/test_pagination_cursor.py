"""Keyset pagination of the listing (``?cursor=``): order, ties, nulls, links, errors, cost."""

import base64
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from files.models import File, Kind, Status
from testing.factories import UserFactory

pytestmark = pytest.mark.django_db

FILES = "/api/v1/files/"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def make_files(owner, count: int, **fields) -> list[File]:
    """``count`` rows for ``owner`` (bytes are not needed to list them), one second apart by default."""
    rows = []
    for i in range(count):
        values = {
            "name": f"f{i:04d}.txt", "size": 100 + i, "content_type": "text/plain", "kind": Kind.TEXT,
            "sha256": hashlib.sha256(str(i).encode()).hexdigest(), "status": Status.PENDING,
            "uploaded_at": T0 + timedelta(seconds=i),
        }
        values.update({key: value(i) if callable(value) else value for key, value in fields.items()})
        record = File(owner=owner, **values)
        record.file.name = f"uploads/{record.id.hex[:2]}/{record.id.hex}"
        rows.append(record)
    return File.objects.bulk_create(rows)


def walk(client, url: str, direction: str = "next") -> tuple[list[str], list[dict]]:
    """Follow ``direction`` links from ``url``; the ids seen in order and every page body."""
    ids, pages = [], []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append(body)
        ids.extend(item["id"] for item in body["results"])
        url = body[direction]
        assert len(pages) <= 100, "links never end"
    return ids, pages


def ids_of(queryset) -> list[str]:
    return [str(pk) for pk in queryset.values_list("pk", flat=True)]


def test_first_page_answers_next_previous_results_without_count(auth_client, user):
    make_files(user, 25)
    response = auth_client.get(FILES, {"cursor": ""})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert body["previous"] is None
    assert len(body["results"]) == 20
    expected = ids_of(File.objects.filter(owner=user).order_by("-uploaded_at", "-id"))
    assert [item["id"] for item in body["results"]] == expected[:20]
    query = parse_qs(urlsplit(body["next"]).query)
    assert query["cursor"][0]
    assert body["results"][0] == auth_client.get(f"{FILES}{expected[0]}/").json()


def test_walking_next_then_previous_visits_every_file_once_in_order(auth_client, user):
    make_files(user, 47)
    expected = ids_of(File.objects.filter(owner=user).order_by("-uploaded_at", "-id"))
    forward, pages = walk(auth_client, f"{FILES}?cursor=&page_size=10")
    assert forward == expected
    assert [len(page["results"]) for page in pages] == [10, 10, 10, 10, 7]
    assert pages[-1]["next"] is None
    _, back_pages = walk(auth_client, pages[-1]["previous"], direction="previous")
    assert [[item["id"] for item in page["results"]] for page in back_pages] == [
        expected[30:40], expected[20:30], expected[10:20], expected[0:10]]
    assert back_pages[-1]["previous"] is None
    assert back_pages[-1]["next"] is not None
    assert [item["id"] for item in auth_client.get(back_pages[-1]["next"]).json()["results"]] == expected[10:20]


def test_equal_upload_times_are_ordered_by_id_without_skips_or_repeats(auth_client, user):
    make_files(user, 30, uploaded_at=T0)
    expected = sorted((str(pk) for pk in File.objects.values_list("pk", flat=True)),
                      key=lambda pk: uuid.UUID(pk), reverse=True)
    forward, _ = walk(auth_client, f"{FILES}?cursor=&page_size=7")
    assert forward == expected
    ascending, _ = walk(auth_client, f"{FILES}?cursor=&page_size=7&ordering=uploaded_at")
    assert ascending == expected[::-1]


@pytest.mark.parametrize("ordering", ["size", "-size", "name", "-name", "uploaded_at", "-uploaded_at"])
def test_requested_ordering_is_followed_with_id_as_tie_breaker(auth_client, user, ordering):
    make_files(user, 23, size=lambda i: i % 4, name=lambda i: f"n{i % 5}")
    field = ordering.lstrip("-")
    tie = "-id" if ordering.startswith("-") else "id"
    expected = ids_of(File.objects.filter(owner=user).order_by(ordering, tie))
    forward, _ = walk(auth_client, f"{FILES}?cursor=&page_size=5&ordering={ordering}")
    assert forward == expected, field


@pytest.mark.parametrize("ordering", ["processed_at", "-processed_at"])
def test_null_processed_at_sorts_after_every_date_in_both_directions(auth_client, user, ordering):
    make_files(user, 9, status=Status.PROCESSED, processed=True,
               processed_at=lambda i: T0 + timedelta(minutes=i % 3))
    make_files(user, 8)  # pending: processed_at is null
    forward, _ = walk(auth_client, f"{FILES}?cursor=&page_size=4&ordering={ordering}")
    nulls = File.objects.filter(owner=user, processed_at__isnull=True)
    dated = File.objects.filter(owner=user, processed_at__isnull=False)
    if ordering == "processed_at":
        expected = ids_of(dated.order_by("processed_at", "id")) + ids_of(nulls.order_by("id"))
    else:
        expected = ids_of(nulls.order_by("-id")) + ids_of(dated.order_by("-processed_at", "-id"))
    assert forward == expected
    # The same order as the page-numbered listing (PostgreSQL puts nulls last ascending, first descending).
    numbered = auth_client.get(FILES, {"ordering": ordering, "page_size": 100}).json()["results"]
    assert {item["id"] for item in numbered} == set(expected)
    assert [item["processed_at"] is None for item in numbered] == [
        pk in set(ids_of(nulls)) for pk in expected]
    last_page = walk(auth_client, f"{FILES}?cursor=&page_size=4&ordering={ordering}")[1][-1]
    _, back_pages = walk(auth_client, last_page["previous"], direction="previous")
    backward = [item["id"] for page in reversed(back_pages) for item in page["results"]]
    assert backward == expected[: len(expected) - len(last_page["results"])]


def test_filters_and_owner_scope_apply_to_cursor_pages(auth_client, user):
    make_files(user, 12, status=Status.PROCESSED, kind=Kind.IMAGE, content_type="image/png")
    make_files(user, 12, status=Status.PENDING, kind=Kind.IMAGE, content_type="image/png")
    make_files(user, 12, status=Status.PROCESSED, kind=Kind.TEXT)
    make_files(UserFactory(), 12, status=Status.PROCESSED, kind=Kind.IMAGE, content_type="image/png")
    expected = ids_of(File.objects.filter(owner=user, status=Status.PROCESSED, kind=Kind.IMAGE)
                      .order_by("-uploaded_at", "-id"))
    forward, pages = walk(auth_client, f"{FILES}?status=processed&kind=image&ordering=-uploaded_at&cursor=&page_size=5")
    assert forward == expected
    assert len(forward) == 12
    for page in pages[:-1]:
        query = parse_qs(urlsplit(page["next"]).query)
        assert query["status"] == ["processed"]
        assert query["kind"] == ["image"]
        assert query["page_size"] == ["5"]


def test_page_size_is_capped_at_100(auth_client, user):
    make_files(user, 105)
    body = auth_client.get(FILES, {"cursor": "", "page_size": 500}).json()
    assert len(body["results"]) == 100
    assert len(auth_client.get(body["next"]).json()["results"]) == 5


def test_empty_listing_has_no_links(auth_client):
    assert auth_client.get(FILES, {"cursor": ""}).json() == {"next": None, "previous": None, "results": []}


def test_malformed_cursor_is_404_in_the_envelope(auth_client, user):
    make_files(user, 3)
    for cursor in ["not-a-cursor", "%%%", base64.urlsafe_b64encode(b'{"o":"-uploaded_at,-id","p":[1]}').decode(),
                   base64.urlsafe_b64encode(b'{"o":"-uploaded_at,-id","p":["yesterday","x"]}').decode()]:
        response = auth_client.get(FILES, {"cursor": cursor})
        assert response.status_code == 404, cursor
        assert response.json() == {"code": "not_found", "detail": "Invalid cursor.", "errors": {}}


def test_cursor_of_another_ordering_is_404(auth_client, user):
    make_files(user, 30)
    next_link = auth_client.get(FILES, {"cursor": "", "ordering": "size"}).json()["next"]
    cursor = parse_qs(urlsplit(next_link).query)["cursor"][0]
    response = auth_client.get(FILES, {"cursor": cursor, "ordering": "-size"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_cursor_is_opaque_base64_of_the_edge_position(auth_client, user):
    make_files(user, 21)
    body = auth_client.get(FILES, {"cursor": ""}).json()
    token = parse_qs(urlsplit(body["next"]).query)["cursor"][0]
    payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    last = body["results"][-1]
    assert payload["p"][1] == last["id"]
    assert datetime.fromisoformat(payload["p"][0]) == datetime.fromisoformat(last["uploaded_at"].replace("Z", "+00:00"))


def test_cursor_pages_run_no_count_and_seek_instead_of_offset(auth_client, user):
    make_files(user, 60)
    first = auth_client.get(FILES, {"cursor": ""}).json()
    with CaptureQueriesContext(connection) as queries:
        response = auth_client.get(first["next"])
    assert response.status_code == 200
    listing = [q["sql"] for q in queries.captured_queries if 'FROM "files_file"' in q["sql"]]
    assert len(listing) == 1, listing
    assert "COUNT(" not in listing[0].upper()
    assert "OFFSET" not in listing[0].upper()
    assert "LIMIT 21" in listing[0].upper()


def test_page_numbers_still_answer_count(auth_client, user):
    make_files(user, 25)
    body = auth_client.get(FILES, {"page": 2}).json()
    assert body["count"] == 25
    assert len(body["results"]) == 5


def test_schema_documents_cursor_and_optional_count(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/files/"]["get"]
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    assert {"cursor", "page", "page_size", "ordering"} <= set(parameters)
    assert "no `count`" in parameters["cursor"]["description"]
    assert "cursor" in operation["description"]
    reference = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    page = schema["components"]["schemas"][reference.rsplit("/", 1)[-1]]
    assert "count" not in page["required"]
    assert set(page["required"]) == {"next", "previous", "results"}
