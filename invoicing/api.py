import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets

from .models import Invoice
from .serializers import InvoiceSerializer


class InvoiceApiFilterSet(django_filters.FilterSet):
    customer = django_filters.NumberFilter(field_name="customer_id")
    status = django_filters.MultipleChoiceFilter(choices=Invoice.Status.choices)
    issued_after = django_filters.DateFilter(field_name="issue_date", lookup_expr="gte")
    issued_before = django_filters.DateFilter(field_name="issue_date", lookup_expr="lte")
    period_after = django_filters.IsoDateTimeFilter(field_name="period_end", lookup_expr="gt",
                                                    label="Period ends after")
    period_before = django_filters.IsoDateTimeFilter(field_name="period_start", lookup_expr="lt",
                                                     label="Period starts before")
    external_accounting_id = django_filters.CharFilter()
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated", lookup_expr="gte")

    class Meta:
        model = Invoice
        fields = ["customer", "status", "currency", "kind", "external_accounting_id"]


class InvoiceViewSet(viewsets.ReadOnlyModelViewSet):
    """Invoices with their lines, for billing and accounting systems (drafts included, by status)."""

    serializer_class = InvoiceSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = InvoiceApiFilterSet
    queryset = Invoice.objects.select_related("customer").prefetch_related("lines").order_by("pk")
