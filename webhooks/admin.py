"""Moderators see webhook endpoints and their delivery log (read-only)."""

from django.contrib import admin

from .models import Delivery, Endpoint


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "owner", "active", "failing_since", "created_at"]
    list_filter = ["active"]
    search_fields = ["url", "owner__username"]
    list_select_related = ["owner"]
    exclude = ["secret"]
    readonly_fields = ["id", "owner", "url", "events", "created_at", "failing_since", "disabled_reason"]

    def has_add_permission(self, request):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "endpoint", "event_type", "event_id", "attempt", "status_code", "error", "delivered_at"]
    list_filter = ["event_type", "status_code", "delivered_at"]
    search_fields = ["event_id", "endpoint__url", "endpoint__owner__username"]
    list_select_related = ["endpoint"]
    readonly_fields = ["id", "endpoint", "event_id", "event_type", "attempt", "status_code", "error", "delivered_at",
                       "duration_ms"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
