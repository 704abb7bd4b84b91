"""The schema's error pieces: the envelope's component, and the errors every operation can answer.

Views declare the errors particular to them with ``error_response`` (the
upload domain's are in ``files.schema``); the ones any endpoint can give — a
bad or missing token, throttling, a crash, a malformed or mistyped body — are
added by the post-processing hook, so no operation's list of responses can
forget them.
"""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

# "ApiError", not "Error": that would shadow the language's own Error in generated clients.
ErrorSerializer = inline_serializer(
    name="ApiError",
    fields={
        "code": serializers.CharField(help_text="Stable, machine-readable error code."),
        "detail": serializers.CharField(help_text="What went wrong, for people."),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            help_text="Field name -> messages, for validation errors; empty otherwise.",
        ),
    },
)


def error_response(description: str) -> OpenApiResponse:
    """An operation's own error response (``{status: error_response("code: when")}``)."""
    return OpenApiResponse(response=ErrorSerializer, description=description)


ERROR_REF = {"$ref": "#/components/schemas/ApiError"}
HTTP_METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}

COMMON_ERRORS = {
    "401": "not_authenticated, token_not_valid, authentication_failed: no, bad or expired token; wrong credentials",
    "429": "throttled: rate limit hit (Retry-After header set)",
    "500": "server_error: no stack trace or internals, ever",
    "503": "unavailable: the database or the storage cannot be reached right now (Retry-After header set)",
}
BODY_ERRORS = {
    "400": "invalid, malformed_request: validation failed or the body could not be parsed",
    "415": "unsupported_media_type: the body is not in a media type this operation accepts",
}
QUERY_ERRORS = {"400": "invalid: a query parameter is not valid"}


def _error_response_object(description: str) -> dict:
    return {"content": {"application/json": {"schema": ERROR_REF}}, "description": description}


def add_error_responses(result, generator, request, public):
    """POSTPROCESSING_HOOK: add the envelope errors an operation can answer but did not declare."""
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            wanted = dict(COMMON_ERRORS)
            if "requestBody" in operation:
                wanted.update(BODY_ERRORS)
            if any(p.get("in") == "query" for p in operation.get("parameters", [])):
                wanted = {**QUERY_ERRORS, **wanted}
            for status, description in wanted.items():
                responses.setdefault(status, _error_response_object(description))
            operation["responses"] = dict(sorted(responses.items()))
    schemes = result.get("components", {}).get("securitySchemes", {})
    if "jwtAuth" in schemes:
        schemes["jwtAuth"]["description"] = (
            "An access token from POST /api/v1/auth/token/ (refresh it with /api/v1/auth/token/refresh/), "
            "sent as `Authorization: Bearer <access>`."
        )
    return result



def _operations(result):
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method in HTTP_METHODS:
                yield operation


def explicit_anonymous_security(result, generator, request, public):
    """POSTPROCESSING_HOOK: ``security: []`` on operations that need no token (register, tokens).

    drf-spectacular leaves them without ``security`` or with ``[{}]`` ("optional"), which
    generators read as "an authenticated client is required"; ``[]`` says "none".
    """
    for operation in _operations(result):
        if operation.get("security", [{}]) == [{}]:
            operation["security"] = []
    return result


def shared_parameter_enums(result, generator, request, public):
    """POSTPROCESSING_HOOK: a query parameter whose values are a component enum's (``status``,
    ``kind``) refers to that component instead of repeating it, so a client has one type for both."""
    enums = {
        frozenset(schema["enum"]): name
        for name, schema in result.get("components", {}).get("schemas", {}).items()
        if "enum" in schema and schema.get("type") == "string"
    }
    for operation in _operations(result):
        for parameter in operation.get("parameters", []):
            schema = parameter.get("schema", {})
            target = schema.get("items", schema) if schema.get("type") == "array" else schema
            name = enums.get(frozenset(target.get("enum", ())))
            if name is None:
                continue
            described = target.get("description")
            target.clear()
            target["$ref"] = f"#/components/schemas/{name}"
            if described and target is schema:
                parameter.setdefault("description", described)
    return result


REQUEST_ID_HEADER = {
    "schema": {"type": "string"},
    "description": "This request's id: the one a trusted proxy sent, else a new one. The logs of the "
                   "request and of the tasks it queued carry it.",
}


def add_request_id_header(result, generator, request, public):
    """POSTPROCESSING_HOOK: every response carries ``X-Request-ID`` (api.middleware)."""
    result.setdefault("components", {}).setdefault("headers", {})["RequestId"] = REQUEST_ID_HEADER
    for operation in _operations(result):
        for response in operation.get("responses", {}).values():
            response.setdefault("headers", {})["X-Request-ID"] = {"$ref": "#/components/headers/RequestId"}
    return result
