"""Owner-scoped reads: the one place that decides which files a user can see."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .models import File


def file_list(*, owner) -> QuerySet[File]:
    """The files ``owner`` may see through the API: their own, and only theirs."""
    return File.objects.filter(owner=owner)


def file_get(*, owner, file_id) -> File:
    """``owner``'s file ``file_id``; 404 for a missing id and for another user's file alike."""
    return get_object_or_404(file_list(owner=owner), pk=file_id)
