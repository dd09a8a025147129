import django_filters
from django import forms

from connex.filters import updated_since_filter

from .models import PayPalIpn

SELECT = {"class": "form-select form-select-sm"}


class PayPalIpnFilterSet(django_filters.FilterSet):
    outcome = django_filters.MultipleChoiceFilter(choices=PayPalIpn.Outcome.choices,
                                                  widget=forms.SelectMultiple(attrs=SELECT | {"size": 1}))
    verification = django_filters.ChoiceFilter(choices=[(v or "none", label) for v, label in
                                                        PayPalIpn.Verification.choices],
                                               method="filter_verification", widget=forms.Select(attrs=SELECT))
    txn_id = django_filters.CharFilter(method="filter_txn", label="Transaction", widget=forms.TextInput(
        attrs={"class": "form-control form-control-sm", "placeholder": "Transaction id"}))
    received = django_filters.DateFromToRangeFilter(
        field_name="created", label="Received between",
        widget=django_filters.widgets.RangeWidget(attrs={"class": "form-control form-control-sm", "type": "date"}))
    updated_since = updated_since_filter()

    class Meta:
        model = PayPalIpn
        fields = ["outcome", "verification", "txn_id", "received", "customer", "updated_since"]

    def filter_verification(self, queryset, name, value):
        return queryset.filter(verification="" if value == "none" else value)

    def filter_txn(self, queryset, name, value):
        from django.db.models import Q

        value = value.strip()
        return queryset.filter(Q(txn_id=value) | Q(parent_txn_id=value)) if value else queryset
