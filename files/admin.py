from django.contrib import admin

from .models import File


@admin.register(File)
class FileAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "kind", "status", "size", "uploaded_at", "blocked"]
    list_filter = ["status", "kind", "blocked", "uploaded_at"]
    search_fields = ["name", "owner__username", "owner__email", "sha256"]
    list_select_related = ["owner"]
