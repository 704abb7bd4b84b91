import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Endpoint(models.Model):
    """A user's webhook: where to POST which event types, signed with ``secret`` (Standard Webhooks).

    ``failing_since`` is set by the first failed delivery after a success; an
    endpoint failing longer than ``WEBHOOKS_DISABLE_AFTER`` is deactivated and
    ``disabled_reason`` tells its owner why.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list, help_text="Event types delivered here.")
    secret = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["owner", "active"], name="webhook_owner_active")]

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    """One attempt to deliver one event (or a ping) to one endpoint: the delivery log."""

    id = models.BigAutoField(primary_key=True)
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.CharField(max_length=64, help_text="The webhook-id header: the event id, or ping_…")
    event_type = models.CharField(max_length=32)
    attempt = models.PositiveSmallIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(null=True, blank=True)  # noqa: DJ001 - the contract answers null, not ""
    delivered_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["endpoint", "-id"], name="delivery_endpoint_recent")]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.event_type} #{self.event_id} attempt {self.attempt} → {self.status_code or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
