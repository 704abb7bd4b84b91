"""Moderation of every user's files in the Django admin.

Every write goes through ``files.services``: reprocessing, blocking and
deleting behave exactly as through the API (a delete, single or bulk, removes
the stored bytes and thumbnail and gives the bytes back to the owner's quota).
"""

import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import ngettext

from core.exceptions import Conflict

from . import services
from .models import File, ResumableUpload
from .resumable.services import upload_terminate

THUMBNAIL_LIST_SIZE = 48


@admin.register(File)
class FileAdmin(admin.ModelAdmin):
    """All users' files: list with thumbnails, filters, search, moderation actions."""

    list_display = ["preview", "name", "owner_name", "kind", "status", "size_display", "uploaded_at", "blocked"]
    list_display_links = ["preview", "name"]
    list_filter = ["status", "kind", "blocked", "uploaded_at", ("owner", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "owner__username", "owner__email", "=sha256"]
    search_help_text = "Name, owner's username or email, or the exact sha256."
    list_select_related = ["owner"]
    list_per_page = 50
    # A second COUNT(*) over every file on each page view costs more than it tells.
    show_full_result_count = False
    actions = ["reprocess_files", "block_files", "unblock_files", "delete_selected"]
    fieldsets = [
        (None, {"fields": ["name", "owner", "kind", "content_type", "size_display", "sha256", "uploaded_at"]}),
        ("Processing", {"fields": ["status", "processed_at", "error", "attempts", "result_display",
                                   "thumbnail_display"]}),
        ("Moderation", {"fields": ["blocked"]}),
        ("Storage", {"classes": ["collapse"], "fields": ["id", "file", "thumbnail", "idempotency_key"]}),
    ]
    readonly_fields = ["id", "name", "owner", "kind", "content_type", "size_display", "sha256", "uploaded_at",
                       "status", "processed_at", "error", "attempts", "result_display", "thumbnail_display",
                       "blocked", "file", "thumbnail", "idempotency_key"]

    # --- Columns and detail fields ---------------------------------------------

    @admin.display(description="")
    def preview(self, record: File):
        if not record.thumbnail:
            return "—"
        return format_html('<img src="{}" alt="thumbnail of {}" class="file-thumbnail" width="{}" height="{}" '
                           'style="object-fit: contain" loading="lazy">',
                           self._thumbnail_url(record), record.name, THUMBNAIL_LIST_SIZE, THUMBNAIL_LIST_SIZE)

    @admin.display(description="owner", ordering="owner__username")
    def owner_name(self, record: File) -> str:
        return record.owner.username

    @admin.display(description="size", ordering="size")
    def size_display(self, record: File) -> str:
        if record.size < 1024:
            return f"{record.size} bytes"
        return f"{filesizeformat(record.size)} ({record.size:,} bytes)"

    @admin.display(description="result")
    def result_display(self, record: File):
        if record.result is None:
            return "—"
        if not record.result:
            return "(nothing to report for this kind)"
        rows = format_html_join(
            "", "<tr><th>{}</th><td>{}</td></tr>",
            # The thumbnail flag is shown as the picture itself below.
            ((key, _readable(value)) for key, value in record.result.items() if key != "thumbnail"),
        )
        return format_html('<table class="file-result">{}</table>', rows)

    @admin.display(description="thumbnail")
    def thumbnail_display(self, record: File):
        if not record.thumbnail:
            return "—"
        return format_html('<img src="{}" alt="thumbnail of {}" class="file-thumbnail-large">',
                           self._thumbnail_url(record), record.name)

    def _thumbnail_url(self, record: File) -> str:
        return reverse("admin:files_file_thumbnail", args=[record.pk])

    # --- The thumbnail, served to moderators only -------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view(self.thumbnail_view)
        return [path("<uuid:object_id>/thumbnail/", view, name="files_file_thumbnail"), *super().get_urls()]

    def thumbnail_view(self, request, object_id):
        """The stored thumbnail, for moderators (blocked files included: they must see what they block)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        record = File.objects.filter(pk=object_id).only("id", "thumbnail").first()
        if record is None or not record.thumbnail:
            raise Http404("No thumbnail.")
        response = FileResponse(record.thumbnail.open("rb"), content_type="image/webp")
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, max-age=300"
        return response

    # --- Writes go through the services -------------------------------------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # Every field is read-only: changes are made by the actions, so there is nothing to save.
        extra_context = {**(extra_context or {}), "show_save": False, "show_save_and_continue": False}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def has_add_permission(self, request):
        return False  # files arrive through the upload API, which checks, stores and queues them

    def delete_model(self, request, obj):
        services.file_delete(record=obj)

    def delete_queryset(self, request, queryset):
        for record in queryset:
            services.file_delete(record=record)

    @admin.action(description="Reprocess selected files", permissions=["change"])
    def reprocess_files(self, request, queryset):
        queued, busy = 0, 0
        for record in queryset:
            try:
                services.file_reprocess(record=record)
                queued += 1
            except Conflict:
                busy += 1
        self.message_user(request, ngettext("Queued %d file for processing.", "Queued %d files for processing.",
                                            queued) % queued, messages.SUCCESS)
        if busy:
            self.message_user(request, ngettext("%d file is being processed and was left alone.",
                                                "%d files are being processed and were left alone.", busy) % busy,
                              messages.WARNING)

    @admin.action(description="Block selected files (no download, no thumbnail)", permissions=["change"])
    def block_files(self, request, queryset):
        self._set_blocked(request, queryset, blocked=True)

    @admin.action(description="Unblock selected files", permissions=["change"])
    def unblock_files(self, request, queryset):
        self._set_blocked(request, queryset, blocked=False)

    def _set_blocked(self, request, queryset, *, blocked: bool) -> None:
        count = 0
        for record in queryset:
            services.file_set_blocked(record=record, blocked=blocked)
            count += 1
        verb = "Blocked" if blocked else "Unblocked"
        self.message_user(request, f"{verb} {count} file{'' if count == 1 else 's'}.", messages.SUCCESS)


def _readable(value) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, indent=1)
    if value is None:
        return "—"
    return str(value)


@admin.register(ResumableUpload)
class ResumableUploadAdmin(admin.ModelAdmin):
    """Unfinished resumable (tus) uploads: owner, size, bytes received, expiry; removing one
    goes through ``upload_terminate`` (partial bytes removed, quota reservation released)."""

    list_display = ["name", "owner", "length_display", "offset_display", "expires_at", "file"]
    list_filter = [("file", admin.EmptyFieldListFilter), "expires_at"]
    search_fields = ["name", "owner__username", "owner__email"]
    list_select_related = ["owner", "file"]
    readonly_fields = ["id", "owner", "name", "length", "offset", "created_at", "expires_at", "file",
                       "patch_lease_until"]
    fields = readonly_fields
    actions = ["delete_selected"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="size", ordering="length")
    def length_display(self, upload: ResumableUpload) -> str:
        return filesizeformat(upload.length)

    @admin.display(description="received", ordering="offset")
    def offset_display(self, upload: ResumableUpload) -> str:
        percent = 100 * upload.offset // upload.length if upload.length else 0
        return f"{filesizeformat(upload.offset)} ({percent}%)"

    def delete_model(self, request, obj):
        upload_terminate(upload=obj)

    def delete_queryset(self, request, queryset):
        for upload in queryset:
            upload_terminate(upload=upload)
