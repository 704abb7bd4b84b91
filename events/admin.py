"""Moderators see the event log (read-only: it is written only with the changes it records)."""

from django.contrib import admin

from .models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["id", "type", "owner", "file_id", "created_at"]
    list_filter = ["type", "created_at"]
    search_fields = ["file_id", "owner__username"]
    list_select_related = ["owner"]
    readonly_fields = ["id", "type", "owner", "file_id", "file", "created_at"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
