import django_filters
from django import forms

from .models import LedgerEntry, StatementLine

SELECT = {"class": "form-select form-select-sm"}
DATE = {"class": "form-control form-control-sm", "type": "date"}


class StatementFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=LedgerEntry.Kind.choices,
                                               widget=forms.SelectMultiple(attrs=SELECT | {"size": 1}))
    posted = django_filters.DateFromToRangeFilter(field_name="posted_at", label="Posted between",
                                                  widget=django_filters.widgets.RangeWidget(attrs=DATE))
    description = django_filters.CharFilter(lookup_expr="icontains",
                                            widget=forms.TextInput(attrs={"class": "form-control form-control-sm",
                                                                          "placeholder": "Description"}))

    class Meta:
        model = StatementLine
        fields = ["kind", "posted", "description"]
