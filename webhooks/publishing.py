"""From the event log to the ``webhooks`` queue: which endpoints get an event, published after commit.

Tasks are published by name (no import of ``webhooks.tasks``), on the queue
``WEBHOOKS_QUEUE`` that only the webhook worker consumes, so a slow receiver
never delays file processing.
"""

import logging

from celery import current_app
from django.conf import settings
from django.db import transaction

from .selectors import endpoints_subscribed

logger = logging.getLogger(__name__)

DELIVER_TASK = "webhooks.tasks.deliver"


SUBSCRIBED = "webhook_endpoints"


def on_event_recorded(sender, event, extra=None, **kwargs) -> None:
    """``events.signals.event_recorded`` receiver: queue a delivery per subscribed active endpoint, after commit.

    Which endpoints is read in the event's own statement when it was recorded by
    ``event_record_with`` (``extra``), else here.
    """
    if extra is not None and SUBSCRIBED in extra:
        subscribed = extra[SUBSCRIBED] or []  # PostgreSQL's text of a uuid is str(uuid.UUID)'s
    else:
        subscribed = endpoints_subscribed(owner_id=event.owner_id, event_type=event.type)
    if subscribed:
        transaction.on_commit(lambda: [enqueue_delivery(endpoint_id=endpoint_id, message_id=str(event.id),
                                                        event_type=event.type) for endpoint_id in subscribed])


def enqueue_delivery(*, endpoint_id: str, message_id: str, event_type: str, body: str | None = None) -> bool:
    """Publish one delivery on the webhooks queue; never raises (an unreachable broker is logged)."""
    try:
        current_app.send_task(DELIVER_TASK, args=[endpoint_id, message_id, event_type],
                              kwargs={"body": body}, queue=settings.WEBHOOKS_QUEUE, retry=False)
    except Exception:
        logger.warning("Could not publish webhook delivery %s to %s", message_id, endpoint_id, exc_info=True)
        return False
    return True
