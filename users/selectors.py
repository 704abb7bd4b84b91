"""Reads about a user that depend on who asks."""

from django.conf import settings


def user_quota(*, user) -> dict:
    """What ``/users/me/`` reports of the user's storage and limits."""
    limit = settings.FILES_USER_QUOTA or None
    return {
        "quota": {
            "used_bytes": user.storage_used,
            "limit_bytes": limit,
            "file_count": user.files.count(),
        },
        "limits": {
            "max_upload_size": settings.FILES_MAX_UPLOAD_SIZE,
            "allowed_kinds": list(settings.FILES_ALLOWED_KINDS),
        },
    }
