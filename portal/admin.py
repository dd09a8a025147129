from django.contrib import admin

from .models import PortalEvent


@admin.register(PortalEvent)
class PortalEventAdmin(admin.ModelAdmin):
    """The portal's access log: read-only, as an audit record should be."""

    list_display = ("created", "kind", "email", "ip", "customer", "contact", "staff_user")
    list_filter = ("kind",)
    search_fields = ("email", "ip", "contact__name", "customer__name", "staff_user__username")
    date_hierarchy = "created"
    list_select_related = ("customer", "contact", "staff_user")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
