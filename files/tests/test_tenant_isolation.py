"""Walk every API route that takes an object id: user B against user A's file
answers 404 exactly like a missing id, and without a token 401."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from files.models import File, Status
from testing.factories import FileFactory

pytestmark = pytest.mark.django_db

OBJECT_PARAMS = {"pk", "id", "file_id", "object_id"}


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def api_object_routes() -> list[str]:
    routes = []
    for route, pattern in walk(get_resolver().url_patterns):
        converters = set(pattern.pattern.converters) | set(pattern.pattern.regex.groupindex)
        if route.startswith("api/") and converters & OBJECT_PARAMS and "format" not in route:
            routes.append(route)
    return routes


def concrete(route: str, object_id) -> str:
    """The route with every captured parameter replaced by ``object_id``."""
    path = re.sub(r"\(\?P<\w+>[^)]*\)", str(object_id), route)
    path = re.sub(r"<(?:\w+:)?\w+>", str(object_id), path)
    return "/" + path.replace("^", "").replace("$", "").replace("\\", "")


def allowed_methods(path: str) -> list[str]:
    view = resolve(path).func
    if getattr(view, "actions", None):
        methods = list(view.actions)
    elif hasattr(view, "view_class"):
        methods = [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view.view_class, m)]
    else:  # a function view (the async event stream): GET only
        methods = ["get"]
    return [m for m in methods if m not in ("options", "head")]


def test_the_walk_finds_every_per_file_route():
    routes = {concrete(r, "ID") for r in api_object_routes()}
    assert routes == {"/api/v1/files/ID/", "/api/v1/files/ID/download/", "/api/v1/files/ID/thumbnail/",
                      "/api/v1/files/ID/reprocess/",
                      "/api/v1/webhooks/ID/", "/api/v1/webhooks/ID/deliveries/", "/api/v1/webhooks/ID/ping/"}


def test_every_per_object_route_answers_404_to_another_user(user, other_client, auth_client):
    theirs = FileFactory(owner=user, status=Status.PROCESSED, processed=True, result={})
    missing = "00000000-0000-0000-0000-000000000000"
    checked = 0
    for route in api_object_routes():
        for method in allowed_methods(concrete(route, theirs.id)):
            response = getattr(other_client, method)(concrete(route, theirs.id))
            control = getattr(other_client, method)(concrete(route, missing))
            assert response.status_code == 404, (method, route, response.content)
            assert response.json() == control.json(), (method, route)
            checked += 1
    assert checked >= 5
    theirs.refresh_from_db()
    assert theirs.status == Status.PROCESSED  # not reprocessed
    assert File.objects.filter(pk=theirs.pk).exists()  # not deleted
    assert auth_client.get(f"/api/v1/files/{theirs.id}/").status_code == 200


def test_every_api_route_needs_a_token(user, api_client):
    theirs = FileFactory(owner=user)
    public = {"/api/v1/auth/register/", "/api/v1/auth/token/", "/api/v1/auth/token/refresh/",
              "/api/schema/", "/api/docs/"}
    checked = 0
    for route, _ in walk(get_resolver().url_patterns):
        path = concrete(route, theirs.id)
        if not path.startswith("/api/") or path in public or "<" in path or "(?P" in path:
            continue
        for method in allowed_methods(path):
            response = getattr(api_client, method)(path)
            assert response.status_code == 401, (method, path, response.content)
            assert response.json()["code"] == "not_authenticated"
            checked += 1
    assert checked >= 9


def test_lists_and_me_never_show_another_users_data(user, other_client):
    FileFactory.create_batch(2, owner=user)
    assert other_client.get("/api/v1/files/").json()["count"] == 0
    assert other_client.get("/api/v1/files/?cursor=").json()["results"] == []
    assert other_client.get("/api/v1/users/me/").json()["quota"]["file_count"] == 0
    assert other_client.get(f"/api/v1/files/?sha256={File.objects.first().sha256}").json()["count"] == 0
