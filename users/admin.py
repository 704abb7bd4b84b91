"""Users in the admin: how much each stores, and deactivation that ends their sessions."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.template.defaultfilters import filesizeformat

from files.models import File

from . import services
from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin plus file count, bytes used and a deactivate action."""

    list_display = ["username", "email", "is_active", "is_staff", "file_count", "bytes_used", "date_joined"]
    list_filter = ["is_active", "is_staff", "is_superuser"]
    readonly_fields = ["storage_used", "file_count", "bytes_used"]
    fieldsets = [*DjangoUserAdmin.fieldsets, ("Storage", {"fields": ["file_count", "bytes_used"]})]
    actions = ["deactivate_users", "activate_users", "delete_selected"]

    def get_queryset(self, request):
        # A correlated COUNT on the (owner, …) index: one query for the page, none per row.
        counts = (File.objects.filter(owner=OuterRef("pk")).order_by().values("owner")
                  .annotate(n=Count("*")).values("n"))
        return super().get_queryset(request).annotate(
            _file_count=Coalesce(Subquery(counts, output_field=IntegerField()), 0))

    @admin.display(description="files", ordering="_file_count")
    def file_count(self, user) -> int:
        return user._file_count

    @admin.display(description="bytes used", ordering="storage_used")
    def bytes_used(self, user) -> str:
        return f"{filesizeformat(user.storage_used)} ({user.storage_used:,} bytes)"

    @admin.action(description="Deactivate selected users (their tokens stop working)", permissions=["change"])
    def deactivate_users(self, request, queryset):
        count = 0
        for user in queryset.exclude(pk=request.user.pk):
            services.user_deactivate(user=user)
            count += 1
        self.message_user(request, f"Deactivated {count} user{'' if count == 1 else 's'}.", messages.SUCCESS)
        if queryset.filter(pk=request.user.pk).exists():
            self.message_user(request, "You cannot deactivate yourself; your account was left active.",
                              messages.WARNING)

    @admin.action(description="Activate selected users", permissions=["change"])
    def activate_users(self, request, queryset):
        count = 0
        for user in queryset:
            services.user_activate(user=user)
            count += 1
        self.message_user(request, f"Activated {count} user{'' if count == 1 else 's'}.", messages.SUCCESS)

    # Deleting a user deletes their files: through the service, so the stored bytes go too.
    def delete_model(self, request, obj):
        services.user_delete(user=obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            services.user_delete(user=user)
