import django_filters
from django import forms

from connex.filters import SELECT, date_range_filter, updated_since_filter

from .models import PayPalIpn


class PayPalIpnFilterSet(django_filters.FilterSet):
    outcome = django_filters.MultipleChoiceFilter(choices=PayPalIpn.Outcome.choices,
                                                  widget=forms.SelectMultiple(attrs=SELECT | {"size": 1}))
    verification = django_filters.ChoiceFilter(choices=[(v or "none", label) for v, label in
                                                        PayPalIpn.Verification.choices],
                                               method="filter_verification", widget=forms.Select(attrs=SELECT))
    txn_id = django_filters.CharFilter(method="filter_txn", label="Transaction", widget=forms.TextInput(
        attrs={"class": "form-control form-control-sm", "placeholder": "Transaction id"}))
    received = date_range_filter("Received between", field_name="created")
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
