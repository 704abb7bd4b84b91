"""The event log's vocabulary: what can happen to a file."""

from django.db.models import TextChoices


class EventType(TextChoices):
    FILE_CREATED = "file.created"
    FILE_PROCESSED = "file.processed"
    FILE_FAILED = "file.failed"
    FILE_DELETED = "file.deleted"
    FILE_BLOCKED = "file.blocked"
    FILE_UNBLOCKED = "file.unblocked"
