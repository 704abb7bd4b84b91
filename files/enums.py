"""The upload domain's vocabulary: a file's kind and its processing status.

Plain choices with no model behind them, so settings (queue routing, allowed
kinds), processors, filters and the model all name them the same way.
"""

from django.db.models import TextChoices


class Kind(TextChoices):
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    TEXT = "text"
    DOCUMENT = "document"
    ARCHIVE = "archive"
    OTHER = "other"


class Status(TextChoices):
    PENDING = "pending"
    PROCESSING = "processing"
    PROCESSED = "processed"
    FAILED = "failed"
