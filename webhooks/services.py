"""Writes on webhooks: endpoints (create, update, delete, ping) and the delivery of one attempt.

A delivery is signed per Standard Webhooks (``webhook-id`` = the event id,
the same on every retry; ``webhook-timestamp``; ``webhook-signature``
``v1,<base64 HMAC-SHA256>`` with the endpoint's secret) and logged, success or not.
"""

import base64
import json
import secrets
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from core.exceptions import ApplicationError
from core.metrics import WEBHOOK_DELIVERIES

from . import transport
from .models import Delivery, Endpoint
from .publishing import enqueue_delivery

PING = "ping"


class WebhookUrlRefused(ApplicationError):
    """The URL may not receive webhooks (not http(s), does not resolve, or a non-public address)."""


def _new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _check_url(url: str) -> None:
    try:
        transport.resolve(url)
    except transport.AddressRefused as exc:
        raise WebhookUrlRefused(str(exc)) from exc


def endpoint_create(*, owner, url: str, events: list[str]) -> Endpoint:
    """A new active endpoint for ``owner``; its URL must resolve to public addresses (400 otherwise)."""
    _check_url(url)
    return Endpoint.objects.create(owner=owner, url=url, events=sorted(set(events)), secret=_new_secret())


def endpoint_update(*, endpoint: Endpoint, url: str | None = None, events: list[str] | None = None,
                    active: bool | None = None) -> Endpoint:
    """Change an endpoint; reactivating it forgets why it was deactivated and its failing streak."""
    if url is not None:
        _check_url(url)
        endpoint.url = url
    if events is not None:
        endpoint.events = sorted(set(events))
    if active is not None:
        if active and not endpoint.active:
            endpoint.failing_since, endpoint.disabled_reason = None, ""
        endpoint.active = active
    endpoint.save()
    return endpoint


def endpoint_delete(*, endpoint: Endpoint) -> None:
    """Remove the endpoint and its delivery log; queued deliveries find it gone and stop."""
    endpoint.delete()


def endpoint_ping(*, endpoint: Endpoint) -> str:
    """Queue a ``ping`` delivery to ``endpoint``; its webhook-id."""
    message_id = f"ping_{uuid.uuid4().hex}"
    body = json.dumps({"id": message_id, "type": PING, "created_at": timezone.now().isoformat(),
                       "webhook": {"id": str(endpoint.pk)}})
    enqueue_delivery(endpoint_id=str(endpoint.pk), message_id=message_id, event_type=PING, body=body)
    return message_id


def signed_headers(*, secret: str, message_id: str, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body``, signed now."""
    now = timezone.now()
    return {"webhook-id": message_id, "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign(message_id, now, body)}


def delivery_attempt(*, endpoint: Endpoint, message_id: str, event_type: str, body: str,
                     attempt: int) -> Delivery:
    """POST ``body`` to ``endpoint`` once, log the attempt, and keep the endpoint's failing streak.

    An endpoint whose deliveries have failed for longer than
    ``WEBHOOKS_DISABLE_AFTER`` seconds is deactivated with the reason.
    """
    started = time.monotonic()
    outcome = transport.post(endpoint.url, body.encode(),
                             signed_headers(secret=endpoint.secret, message_id=message_id, body=body))
    now = timezone.now()
    delivery = Delivery.objects.create(endpoint=endpoint, event_id=message_id, event_type=event_type,
                                       attempt=attempt, status_code=outcome.status_code, error=outcome.error,
                                       delivered_at=now, duration_ms=int((time.monotonic() - started) * 1000))
    WEBHOOK_DELIVERIES.labels("success" if outcome.succeeded else "failure").inc()
    if outcome.succeeded:
        if endpoint.failing_since is not None:
            Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
    elif endpoint.failing_since is None:
        Endpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=now)
    elif now - endpoint.failing_since > timedelta(seconds=settings.WEBHOOKS_DISABLE_AFTER):
        reason = (f"Deactivated at {now:%Y-%m-%d %H:%M} UTC: every delivery has failed since "
                  f"{endpoint.failing_since:%Y-%m-%d %H:%M} UTC (last: {outcome.error}). "
                  "Fix the receiver, then set active to true.")
        Endpoint.objects.filter(pk=endpoint.pk).update(active=False, disabled_reason=reason)
    return delivery
