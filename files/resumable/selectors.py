"""Owner-scoped reads of resumable uploads."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from ..models import ResumableUpload


def upload_get(*, owner, upload_id) -> ResumableUpload:
    """``owner``'s live upload ``upload_id``: 404 alike for a missing, expired or another user's one."""
    try:
        return ResumableUpload.objects.select_related("file").get(
            pk=upload_id, owner=owner, expires_at__gt=timezone.now())
    except (ResumableUpload.DoesNotExist, ValidationError) as exc:
        raise Http404("No upload has this id.") from exc
