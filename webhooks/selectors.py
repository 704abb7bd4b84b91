"""Owner-scoped reads of webhooks."""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from .models import Delivery, Endpoint

RECENT_DELIVERIES = 100


def endpoint_list(*, owner) -> QuerySet[Endpoint]:
    """``owner``'s endpoints (none when anonymous)."""
    if not owner.is_authenticated:
        return Endpoint.objects.none()
    return Endpoint.objects.filter(owner=owner)


def endpoint_get(*, owner, endpoint_id) -> Endpoint:
    """``owner``'s endpoint; 404 for a missing id, a malformed one and another user's alike."""
    try:
        return endpoint_list(owner=owner).get(pk=endpoint_id)
    except (Endpoint.DoesNotExist, ValidationError) as exc:
        raise Http404("No webhook has this id.") from exc


def delivery_list(*, endpoint: Endpoint) -> list[Delivery]:
    """The endpoint's most recent delivery attempts, newest first."""
    return list(Delivery.objects.filter(endpoint=endpoint).order_by("-id")[:RECENT_DELIVERIES])
