import django_filters
from django import forms

from connex.filters import SELECT, date_range_filter

from .models import LedgerEntry, StatementLine


class StatementFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=LedgerEntry.Kind.choices,
                                               widget=forms.SelectMultiple(attrs=SELECT | {"size": 1}))
    posted = date_range_filter("Posted between", field_name="posted_at")
    description = django_filters.CharFilter(lookup_expr="icontains",
                                            widget=forms.TextInput(attrs={"class": "form-control form-control-sm",
                                                                          "placeholder": "Description"}))

    class Meta:
        model = StatementLine
        fields = ["kind", "posted", "description"]
