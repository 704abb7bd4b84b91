"""The OpenAPI schema: valid, committed, complete (errors in the envelope, JWT, upload, filters), and served."""

import difflib
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from openapi_spec_validator import validate

COMMITTED = Path(settings.BASE_DIR) / "openapi.yaml"
REGENERATE = ".venv/bin/python manage.py spectacular --file openapi.yaml"
ERROR_REF = {"$ref": "#/components/schemas/Error"}
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
    error = schema["components"]["schemas"]["Error"]
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
    assert set(params["status"]["schema"]["items"]["enum"]) == {"pending", "processing", "processed", "failed"}
    assert set(params["kind"]["schema"]["items"]["enum"]) == {"image", "video", "audio", "text", "document", "archive",
                                                             "other"}
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
