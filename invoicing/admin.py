from django.contrib import admin

from .models import Invoice, InvoiceEvent, InvoiceLine, InvoiceTemplate, Payment, PaymentAllocation


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class LineInline(ReadOnlyInline):
    model = InvoiceLine


class EventInline(ReadOnlyInline):
    model = InvoiceEvent


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    """Read-only: invoices change only through the panel's audited actions."""

    list_display = ["__str__", "customer", "status", "period_start", "period_end", "total", "currency"]
    list_filter = ["status", "kind", "currency"]
    search_fields = ["number", "customer__name", "external_accounting_id"]
    inlines = [LineInline, EventInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AllocationInline(ReadOnlyInline):
    model = PaymentAllocation


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["received_at", "customer", "amount", "currency", "credited_amount", "method", "status"]
    list_filter = ["status", "method", "currency"]
    search_fields = ["customer__name", "description"]
    inlines = [AllocationInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(InvoiceTemplate)
