from django.contrib import admin

from .models import NumberBlock


@admin.register(NumberBlock)
class NumberBlockAdmin(admin.ModelAdmin):
    list_display = ["start", "end", "customer", "created"]
    search_fields = ["customer__name"]
    list_select_related = ["customer"]
