"""Celery tasks of the webhooks queue (thin): one delivery attempt, retried with backoff."""

import logging

from celery import shared_task

from . import services
from .models import Endpoint

logger = logging.getLogger(__name__)

# About 5 s, 5 min, 30 min, 2 h, 5 h, 10 h after the first attempt's failure (the contract's schedule).
RETRY_DELAYS = (5, 300, 1800, 7200, 18000, 36000)


@shared_task(bind=True, max_retries=len(RETRY_DELAYS), acks_late=True)
def deliver(self, endpoint_id: str, message_id: str, event_type: str, body: str | None = None) -> str:
    """Deliver ``message_id`` to ``endpoint_id``; the retries carry the same id and body."""
    from .payloads import event_body

    endpoint = Endpoint.objects.filter(pk=endpoint_id, active=True).first()
    if endpoint is None:
        return "gone"
    if body is None:
        body = event_body(message_id)
        if body is None:
            return "event gone"
    attempt = self.request.retries + 1
    delivery = services.delivery_attempt(endpoint=endpoint, message_id=message_id, event_type=event_type,
                                         body=body, attempt=attempt)
    if delivery.succeeded:
        return "delivered"
    if self.request.retries >= len(RETRY_DELAYS):
        logger.info("Webhook %s to %s failed %s times; giving up", message_id, endpoint_id, attempt)
        return "failed"
    raise self.retry(args=[endpoint_id, message_id, event_type], kwargs={"body": body},
                     countdown=RETRY_DELAYS[self.request.retries])
