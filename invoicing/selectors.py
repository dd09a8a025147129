from django.db.models import Count, Sum

from .filtersets import InvoiceFilterSet
from .models import Invoice


def invoice_list(*, filters=None, customer=None):
    queryset = Invoice.objects.select_related("customer")
    if customer is not None:
        queryset = queryset.filter(customer=customer)
    if filters is not None:
        queryset = InvoiceFilterSet(filters, queryset=queryset).qs
    return queryset


def invoice_totals(queryset):
    """Totals per currency of a (filtered) invoice list; void invoices are left out."""
    return list(queryset.exclude(status=Invoice.Status.VOID).order_by().values("currency").annotate(
        count=Count("pk"), total=Sum("total"), paid=Sum("amount_paid")).order_by("currency"))
