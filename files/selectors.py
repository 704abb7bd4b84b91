"""Owner-scoped reads: the one place that decides which files a user can see."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .models import File


def file_list(*, owner) -> QuerySet[File]:
    """The files ``owner`` may see through the API: their own, and only theirs (none when anonymous)."""
    if not owner.is_authenticated:
        return File.objects.none()
    return File.objects.filter(owner=owner)


def file_get(*, owner, file_id) -> File:
    """``owner``'s file ``file_id``; 404 for a missing id and for another user's file alike.

    An id that is not a UUID cannot name a file either: 404, not a crash.
    """
    try:
        return get_object_or_404(file_list(owner=owner), pk=file_id)
    except ValidationError as exc:
        raise Http404("No file has this id.") from exc


def file_by_idempotency_key(*, owner, key: str) -> File | None:
    """The file ``owner`` created with ``key`` within the idempotency window."""
    since = timezone.now() - timedelta(seconds=settings.FILES_IDEMPOTENCY_TTL)
    return File.objects.filter(owner=owner, idempotency_key=key, uploaded_at__gte=since).first()


def file_get_granted(*, file_id) -> File:
    """File ``file_id`` whoever owns it, for a caller holding a capability already checked
    (a signed URL, ``files.signing``); 404 when it is gone."""
    try:
        return get_object_or_404(File, pk=file_id)
    except ValidationError as exc:
        raise Http404("No file has this id.") from exc
