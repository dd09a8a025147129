from django.contrib import admin

from .models import ApprovedCLI, Customer, ResellerGroup, Tag


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "currency", "balance", "debit_limit", "channels", "flow_speed",
                    "account_manager", "reseller", "created")
    list_filter = ("status", "currency", "reseller")
    search_fields = ("name", "external_accounting_id", "paypal_email")
    list_select_related = ("account_manager", "reseller")
    filter_horizontal = ("tags",)


admin.site.register(ResellerGroup)
admin.site.register(Tag)
admin.site.register(ApprovedCLI)
