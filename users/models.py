import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """An account. ``storage_used`` is the quota counter, moved in the same
    transaction as the file rows it counts (see ``files.services``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField("email address", unique=True)
    storage_used = models.BigIntegerField(default=0, help_text="Bytes of stored files, kept by the file services.")
    tokens_valid_after = models.DateTimeField(
        null=True, blank=True,
        help_text="Tokens of sessions begun before this time are refused (set by deactivation and password changes).",
    )

    REQUIRED_FIELDS = ["email"]
