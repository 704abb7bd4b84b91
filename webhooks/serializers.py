from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from events.serializers import EventTypesField

from .models import Delivery, Endpoint


@extend_schema_serializer(component_name="WebhookEndpoint")
class EndpointSerializer(serializers.ModelSerializer):
    """A webhook endpoint; ``secret`` is only in the answer that creates it."""

    events = EventTypesField(allow_empty=False, help_text="Event types to deliver.")
    disabled_reason = serializers.SerializerMethodField(
        help_text="Why the endpoint was deactivated after failing for days; null otherwise.")

    class Meta:
        model = Endpoint
        fields = ["id", "url", "events", "active", "created_at", "disabled_reason"]
        read_only_fields = ["id", "created_at", "disabled_reason"]

    def get_disabled_reason(self, endpoint: Endpoint) -> str | None:
        return endpoint.disabled_reason or None


@extend_schema_serializer(component_name="WebhookEndpointCreated")
class EndpointCreatedSerializer(EndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text="`whsec_…`: verify signatures with it. Shown once.")

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]
        read_only_fields = [*EndpointSerializer.Meta.read_only_fields, "secret"]


@extend_schema_serializer(component_name="WebhookEndpointCreate")
class EndpointCreateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2000)
    events = EventTypesField(allow_empty=False)


@extend_schema_serializer(component_name="WebhookEndpointUpdate")
class EndpointUpdateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2000, required=False)
    events = EventTypesField(allow_empty=False, required=False)
    active = serializers.BooleanField(required=False)


@extend_schema_serializer(component_name="WebhookDelivery")
class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = Delivery
        fields = ["event_id", "event_type", "attempt", "status_code", "error", "delivered_at"]
        read_only_fields = fields
