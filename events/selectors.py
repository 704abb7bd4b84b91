"""Owner-scoped reads of the event log."""

from django.db.models import QuerySet

from .models import Event

PAGE_SIZE = 100


def event_list(*, owner, after: int = 0, types: list[str] | None = None, limit: int = PAGE_SIZE) -> list[Event]:
    """``owner``'s events with an id above ``after``, oldest first, at most ``limit``."""
    events: QuerySet[Event] = Event.objects.filter(owner=owner, id__gt=after)
    if types:
        events = events.filter(type__in=types)
    return list(events.order_by("id")[:limit])


def event_last_id(*, owner) -> int:
    """The id of ``owner``'s newest event (0 when there is none): where a new stream starts."""
    last = Event.objects.filter(owner=owner).order_by("-id").values_list("id", flat=True).first()
    return last or 0
