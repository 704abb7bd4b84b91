"""The body of an event's webhook: the event JSON of the contract, rendered as the API renders it."""

import json

from events.models import Event
from events.serializers import EventSerializer


def event_body(event_id: str) -> str | None:
    """The JSON of event ``event_id`` (None when it is gone); URLs are relative, there is no request."""
    event = Event.objects.filter(pk=int(event_id)).first()
    if event is None:
        return None
    return json.dumps(EventSerializer(event).data)
