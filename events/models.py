from django.conf import settings
from django.db import models
from django.utils import timezone

from .enums import EventType


class Event(models.Model):
    """One change of one file's state, written in the transaction that made the change.

    ``file`` is the file as it was right after the change (the plain model
    fields, without the owner's internals), so a client reading the event
    later sees what happened then, not what the file is now. Ids increase:
    clients resume "after" the last id they saw.
    """

    id = models.BigAutoField(primary_key=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=32, choices=EventType.choices)
    file_id = models.UUIDField()
    file = models.JSONField(help_text="Snapshot of the file's fields right after the change.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["owner", "id"], name="event_owner_id"),
            models.Index(fields=["created_at"], name="event_created_at"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.file_id} (#{self.id})"


class StreamTicket(models.Model):
    """A single-use, short-lived credential for ``GET /events/stream/?ticket=`` (EventSource sends no headers).

    Only the SHA-256 of the ticket is stored, so reading the table gives no usable ticket.
    """

    digest = models.CharField(max_length=64, primary_key=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"ticket of {self.owner_id} until {self.expires_at:%H:%M:%S}"
