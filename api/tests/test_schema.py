"""The OpenAPI schema: valid, committed, complete (errors in the envelope, JWT, upload, filters), and served."""

import difflib
import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from openapi_spec_validator import validate

COMMITTED = Path(settings.BASE_DIR) / "openapi.yaml"
REGENERATE = ".venv/bin/python manage.py spectacular --file openapi.yaml"
ERROR_REF = {"$ref": "#/components/schemas/ApiError"}
PUBLIC_OPERATIONS = {("post", "/api/v1/auth/register/"), ("post", "/api/v1/auth/token/"),
                     ("post", "/api/v1/auth/token/refresh/")}
HTTP_METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture(scope="module")
def generated_text(tmp_path_factory) -> str:
    target = tmp_path_factory.mktemp("schema") / "openapi.yaml"
    call_command("spectacular", "--file", str(target))
    return target.read_text()


@pytest.fixture(scope="module")
def schema(generated_text) -> dict:
    return yaml.safe_load(generated_text)


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method, path, operation


def _resolve(schema, node: dict) -> dict:
    if "$ref" in node:
        return schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def test_committed_openapi_yaml_is_the_generated_schema(generated_text):
    committed = COMMITTED.read_text() if COMMITTED.exists() else ""
    if committed != generated_text:
        diff = "".join(list(difflib.unified_diff(committed.splitlines(True), generated_text.splitlines(True),
                                                 "openapi.yaml (committed)", "generated"))[:120])
        pytest.fail(f"openapi.yaml does not match the API. Regenerate it with `{REGENERATE}`, review the diff "
                    f"and commit it.\n{diff}", pytrace=False)


def test_schema_is_valid_openapi(schema):
    validate(schema)  # raises OpenAPIValidationError with the path of the problem
    assert schema["openapi"].startswith("3.")


def test_every_error_response_is_the_envelope(schema):
    not_enveloped = [
        f"{method.upper()} {path} {status}"
        for method, path, operation in _operations(schema)
        for status, response in operation["responses"].items()
        if status[0] in "45" and response.get("content") != {"application/json": {"schema": ERROR_REF}}
    ]
    assert not_enveloped == []
    error = schema["components"]["schemas"]["ApiError"]
    assert set(error["required"]) == {"code", "detail", "errors"}
    assert error["properties"]["errors"]["additionalProperties"]["type"] == "array"


def test_every_operation_documents_auth_throttling_and_server_errors(schema):
    missing = [
        f"{method.upper()} {path} {status}"
        for method, path, operation in _operations(schema)
        for status in ("401", "429", "500")
        if status not in operation["responses"]
    ]
    assert missing == []


def test_jwt_bearer_scheme_guards_every_operation_but_register_and_tokens(schema):
    assert schema["components"]["securitySchemes"]["jwtAuth"] | {"description": None} == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": None}
    for method, path, operation in _operations(schema):
        security = operation.get("security", schema.get("security", []))
        if (method, path) in PUBLIC_OPERATIONS:
            assert {"jwtAuth": []} not in security or {} in security, (method, path)
        else:
            assert security == [{"jwtAuth": []}], (method, path)


def test_upload_is_multipart_with_a_binary_file_and_documents_its_errors(schema):
    upload = schema["paths"]["/api/v1/upload/"]["post"]
    body = upload["requestBody"]["content"]
    assert list(body) == ["multipart/form-data"]
    form = schema["components"]["schemas"][body["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert form["properties"]["file"] == {"type": "string", "format": "binary"}
    assert form["required"] == ["file"]
    assert {"201", "400", "401", "413", "415", "429"} <= set(upload["responses"])
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in upload["parameters"])


def test_listing_documents_its_filters_ordering_and_pagination(schema):
    listing = schema["paths"]["/api/v1/files/"]["get"]
    params = {p["name"]: p for p in listing["parameters"]}
    assert {"status", "kind", "processed", "content_type", "sha256", "uploaded_after", "uploaded_before",
            "size_min", "size_max", "search", "ordering", "page", "page_size", "cursor"} <= set(params)
    assert params["status"]["schema"]["type"] == "array"
    assert set(_resolve(schema, params["status"]["schema"]["items"])["enum"]) == {
        "pending", "processing", "processed", "failed"}
    assert set(_resolve(schema, params["kind"]["schema"]["items"])["enum"]) == {
        "image", "text", "document", "archive", "other"}
    assert params["uploaded_after"]["schema"]["format"] == "date-time"
    assert "400" in listing["responses"]


@pytest.mark.django_db
def test_schema_is_served_without_a_token(api_client, schema):
    response = api_client.get("/api/schema/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert yaml.safe_load(response.content) == schema


@pytest.mark.django_db
def test_swagger_ui_is_served_with_local_assets(api_client):
    page = api_client.get("/api/docs/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn.jsdelivr.net" not in html
    bundle = "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
    assert f'src="{bundle}"' in html
    asset = api_client.get(bundle)
    assert asset.status_code == 200
    assert b"SwaggerUIBundle" in b"".join(asset.streaming_content)


# --- The schema as a product for generated clients -------------------------------------------

CAMEL_CASE = re.compile(r"^[a-z]+(?:[A-Z0-9][a-z0-9]*)*$")
EXPECTED_OPERATION_IDS = {
    ("post", "/api/v1/auth/register/"): "register", ("post", "/api/v1/auth/token/"): "obtainToken",
    ("post", "/api/v1/auth/token/refresh/"): "refreshToken", ("post", "/api/v1/auth/logout/"): "logout",
    ("get", "/api/v1/users/me/"): "getMe", ("post", "/api/v1/upload/"): "uploadFile",
    ("get", "/api/v1/files/"): "listFiles", ("get", "/api/v1/files/{id}/"): "getFile",
    ("delete", "/api/v1/files/{id}/"): "deleteFile", ("get", "/api/v1/files/{id}/download/"): "downloadFile",
    ("get", "/api/v1/files/{id}/thumbnail/"): "getThumbnail",
    ("post", "/api/v1/files/{id}/reprocess/"): "reprocessFile",
}
# Names a generated client must not shadow: the DOM's and TypeScript's globals, the Python
# generator's own types.
SHADOWING_NAMES = {"File", "Error", "Blob", "Response", "Request", "Headers", "Event", "Date", "Object",
                   "Unset", "UNSET", "Client", "AuthenticatedClient", "Types"}


def test_every_operation_has_an_explicit_camel_case_id_a_tag_and_its_own_description(schema):
    """Every operation, including ones added later: drf-spectacular's defaults (``v1_files_list``)
    and its one tag ``v1`` make awkward SDKs, and a viewset's docstring repeated on every action
    documents none of them."""
    problems, ids, descriptions = [], {}, {}
    for method, path, operation in _operations(schema):
        where = f"{method.upper()} {path}"
        operation_id = operation.get("operationId", "")
        if not CAMEL_CASE.match(operation_id):
            problems.append(f"{where}: operationId {operation_id!r} is not an explicit camelCase id "
                            "(set extend_schema(operation_id=...))")
        if not operation.get("tags") or "v1" in operation["tags"]:
            problems.append(f"{where}: tags {operation.get('tags')!r} (set extend_schema(tags=[...]))")
        if not operation.get("description", "").strip():
            problems.append(f"{where}: no description")
        ids.setdefault(operation_id, []).append(where)
        descriptions.setdefault(operation.get("description"), []).append(where)
    problems += [f"operationId {key!r} used by {where}" for key, where in ids.items() if len(where) > 1]
    problems += [f"{where} share one description" for where in descriptions.values() if len(where) > 1]
    assert problems == []


def test_operation_ids_and_tags_of_v1(schema):
    found = {(method, path): operation["operationId"] for method, path, operation in _operations(schema)}
    assert {key: found.get(key) for key in EXPECTED_OPERATION_IDS} == EXPECTED_OPERATION_IDS
    tags = {(method, path): operation["tags"] for method, path, operation in _operations(schema)}
    assert {tags[key][0] for key in EXPECTED_OPERATION_IDS} == {"auth", "users", "files"}
    assert tags[("get", "/api/v1/users/me/")] == ["users"]
    assert all(tags[key] == ["files"] for key in EXPECTED_OPERATION_IDS if "/auth/" not in key[1]
               and "/users/" not in key[1])


def test_component_names_shadow_nothing(schema):
    names = set(schema["components"]["schemas"])
    assert names & SHADOWING_NAMES == set()
    assert {"StoredFile", "ApiError", "PaginatedStoredFileList"} <= names
    stored_file = schema["components"]["schemas"]["StoredFile"]
    assert {"download_url", "thumbnail_url"} <= set(stored_file["properties"])
    assert stored_file["properties"]["thumbnail_url"]["nullable"] is True


def test_anonymous_operations_say_security_is_empty(schema):
    for method, path, operation in _operations(schema):
        if (method, path) in PUBLIC_OPERATIONS:
            assert operation["security"] == [], (method, path)


def test_binary_responses_are_declared_binary(schema):
    files = schema["paths"]
    download = files["/api/v1/files/{id}/download/"]["get"]["responses"]["200"]["content"]
    thumbnail = files["/api/v1/files/{id}/thumbnail/"]["get"]["responses"]["200"]["content"]
    binary = {"schema": {"type": "string", "format": "binary"}}
    # Binary first, for generators; and any type, which is what the bytes are sent as.
    assert list(download.items()) == [("application/octet-stream", binary), ("*/*", binary)]
    assert thumbnail == {"image/webp": binary}
    for path in ("/api/v1/files/{id}/download/", "/api/v1/files/{id}/thumbnail/"):
        parameters = {p["name"]: p for p in files[path]["get"]["parameters"]}
        assert parameters["sig"]["in"] == "query"
        assert parameters["sig"].get("required", False) is False


def test_list_filters_share_the_file_objects_enums(schema):
    listing = {p["name"]: p for p in schema["paths"]["/api/v1/files/"]["get"]["parameters"]}
    stored_file = schema["components"]["schemas"]["StoredFile"]["properties"]
    for name in ("status", "kind"):
        item_ref = listing[name]["schema"]["items"]["$ref"]
        property_ref = stored_file[name].get("$ref") or stored_file[name]["allOf"][0]["$ref"]
        assert item_ref == property_ref, name
