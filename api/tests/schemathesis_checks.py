"""Schemathesis hooks (loaded through SCHEMATHESIS_HOOKS by test_schemathesis.py).

The built-in checks prove that responses match the schema; this one holds every
error answer to the contract's envelope whatever the schema says, so an error
that the schema forgot to describe cannot slip through as "undocumented".
"""

import json

import schemathesis

ENVELOPE_KEYS = {"code", "detail", "errors"}


@schemathesis.check
def error_in_envelope(ctx, response, case):
    """Every 4xx/5xx answer is JSON ``{"code": str, "detail": str, "errors": {field: [str]}}``."""
    if response.status_code < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    if not content_type.startswith("application/json"):
        raise AssertionError(f"{response.status_code} error answered {content_type!r}, not the JSON envelope")
    try:
        body = json.loads(response.content)
    except ValueError as exc:
        raise AssertionError(f"{response.status_code} error body is not JSON: {response.content[:200]!r}") from exc
    if not isinstance(body, dict) or set(body) != ENVELOPE_KEYS:
        raise AssertionError(f"{response.status_code} error is not the envelope: {body!r}")
    if not (isinstance(body["code"], str) and body["code"] and isinstance(body["detail"], str)):
        raise AssertionError(f"{response.status_code} error has no code or detail: {body!r}")
    if not isinstance(body["errors"], dict) or not all(isinstance(v, list) for v in body["errors"].values()):
        raise AssertionError(f"{response.status_code} error's errors is not a field -> messages map: {body!r}")
    if response.status_code == 500 and body["code"] != "server_error":
        raise AssertionError(f"500 answered code {body['code']!r}, not server_error")
    return None


# tus PATCH (and creation-with-upload) bodies are raw bytes under their own media type.
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
