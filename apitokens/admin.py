from django.contrib import admin

from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "user", "scopes", "last_used_at", "expires_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash", "last_used_at", "revoked_at", "created_by")
