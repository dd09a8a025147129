from django.contrib import admin

from .models import IpAuthEntry, SipUser


@admin.register(SipUser)
class SipUserAdmin(admin.ModelAdmin):
    list_display = ["extension", "customer", "channels", "flow_speed", "realm"]
    search_fields = ["customer__name"]
    readonly_fields = ["realm", "ha1", "password_changed"]


@admin.register(IpAuthEntry)
class IpAuthEntryAdmin(admin.ModelAdmin):
    list_display = ["address", "port", "protocol", "tech_prefix", "direction", "customer"]
    search_fields = ["address", "customer__name"]
