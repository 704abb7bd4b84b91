"""Error reports to Sentry (``SENTRY_DSN``), for the web app and the Celery workers.

What leaves the machine is the exception, its stack (without local
variables) and the request's method, route and harmless headers. Never file
contents or other request bodies, cookies, ``Authorization`` headers, tokens,
passwords, or the ``sig``/``ticket`` query parameters that grant access on
their own: ``send_default_pii`` is off, request bodies are never attached,
and ``before_send`` strips what an integration might still have added.
"""

import re
from urllib.parse import parse_qsl, urlencode

FILTERED = "[Filtered]"
# Header and field names whose values are credentials.
SECRET_NAMES = re.compile(r"authorization|cookie|token|secret|password|passwd|api[-_]?key|session|csrf|"
                          r"^sig$|^ticket$|^refresh$|^access$|signature", re.IGNORECASE)


def init_sentry(*, dsn: str, environment: str, traces_sample_rate: float) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        traces_sample_rate=traces_sample_rate,
        before_send=before_send,
        before_send_transaction=before_send,
    )


def before_send(event: dict, hint: dict | None = None) -> dict:
    """Strip bodies, credentials and signed query strings from an event before it is sent."""
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("data", None)
        request.pop("cookies", None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {name: FILTERED if SECRET_NAMES.search(name) else value
                                  for name, value in headers.items()}
        if request.get("query_string"):
            request["query_string"] = _clean_query(request["query_string"])
        if isinstance(request.get("url"), str) and "?" in request["url"]:
            base, _, query = request["url"].partition("?")
            request["url"] = f"{base}?{_clean_query(query)}"
    for breadcrumb in (event.get("breadcrumbs") or {}).get("values", []):
        data = breadcrumb.get("data")
        if isinstance(data, dict) and isinstance(data.get("url"), str) and "?" in data["url"]:
            base, _, query = data["url"].partition("?")
            data["url"] = f"{base}?{_clean_query(query)}"
    return event


def _clean_query(query) -> str:
    pairs = list(query.items()) if isinstance(query, dict) else parse_qsl(str(query), keep_blank_values=True)
    return urlencode([(name, FILTERED if SECRET_NAMES.search(name) else value) for name, value in pairs])
