import django_filters
from django import forms

from connex.filters import SELECT, date_range_filter
from connex.iso import currency_choices
from customers.models import Customer

from .models import Invoice


class InvoiceFilterSet(django_filters.FilterSet):
    customer = django_filters.ModelChoiceFilter(queryset=Customer.objects.only("pk", "name"),
                                                widget=forms.Select(attrs=SELECT))
    status = django_filters.MultipleChoiceFilter(choices=Invoice.Status.choices, widget=forms.CheckboxSelectMultiple)
    kind = django_filters.ChoiceFilter(choices=Invoice.Kind.choices, widget=forms.Select(attrs=SELECT))
    period = date_range_filter("Period within", method="filter_period")
    issue_date = date_range_filter("Issued between")
    overdue = django_filters.BooleanFilter(method="filter_overdue", widget=forms.Select(
        attrs=SELECT, choices=[("", "Any"), ("true", "Overdue"), ("false", "Not overdue")]))
    currency = django_filters.MultipleChoiceFilter(choices=currency_choices(), widget=forms.SelectMultiple(attrs=SELECT))
    external_accounting_id = django_filters.CharFilter(label="Ext. accounting ID",
                                                       widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated", lookup_expr="gte", label="Updated since")

    class Meta:
        model = Invoice
        fields = ["customer", "status", "kind", "period", "issue_date", "overdue", "currency",
                  "external_accounting_id", "updated_since"]

    def filter_period(self, queryset, name, value):
        if value.start:
            queryset = queryset.filter(period_start__date__gte=value.start)
        if value.stop:
            queryset = queryset.filter(period_end__date__lte=value.stop)
        return queryset

    def filter_overdue(self, queryset, name, value):
        overdue = Invoice.objects.overdue().values("pk")
        return queryset.filter(pk__in=overdue) if value else queryset.exclude(pk__in=overdue)
