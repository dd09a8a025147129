import django_filters
from django import forms
from django.contrib.auth import get_user_model

from connex.filters import SELECT, date_range_filter
from connex.iso import currency_choices

from .models import Customer, DelayedChange, ResellerGroup, Tag


class CustomerFilterSet(django_filters.FilterSet):
    # No joins here, so no DISTINCT: it would turn the paginator's count into a slow subquery.
    status = django_filters.MultipleChoiceFilter(choices=Customer.Status.choices, distinct=False,
                                                 widget=forms.CheckboxSelectMultiple)
    currency = django_filters.MultipleChoiceFilter(choices=currency_choices(), distinct=False,
                                                   widget=forms.SelectMultiple(attrs={"class": "form-select form-select-sm cx-multiselect"}))
    tags = django_filters.ModelMultipleChoiceFilter(queryset=Tag.objects.all(), distinct=True,
                                                    widget=forms.SelectMultiple(attrs={"class": "form-select form-select-sm cx-multiselect"}))
    reseller = django_filters.ModelChoiceFilter(queryset=ResellerGroup.objects.all(),
                                                widget=forms.Select(attrs=SELECT))
    account_manager = django_filters.ModelChoiceFilter(
        queryset=get_user_model().objects.filter(is_staff=True).order_by("username"),
        widget=forms.Select(attrs=SELECT))
    balance = django_filters.RangeFilter(label="Balance between",
                                         widget=django_filters.widgets.RangeWidget(
                                             attrs={"class": "form-control form-control-sm", "step": "any",
                                                    "type": "number"}))
    created = date_range_filter("Created between", widget=django_filters.widgets.DateRangeWidget)

    class Meta:
        model = Customer
        fields = ["status", "currency", "tags", "reseller", "account_manager", "balance", "created"]


class DelayedChangeFilterSet(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=DelayedChange.State.choices,
                                                widget=forms.CheckboxSelectMultiple)
    # The card links here with ?customer=<id>; the search box finds customers by name.
    customer = django_filters.NumberFilter(field_name="customer_id", widget=forms.HiddenInput)
    requested_by = django_filters.ModelChoiceFilter(
        label="Requested by", queryset=get_user_model().objects.filter(is_staff=True).order_by("username"),
        widget=forms.Select(attrs=SELECT))
    due_at = date_range_filter("Due between")

    class Meta:
        model = DelayedChange
        fields = ["state", "customer", "requested_by", "due_at"]
