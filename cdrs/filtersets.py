import django_filters
from django import forms

from summaries.models import CallDetailRecord

INPUT = {"class": "form-control form-control-sm"}


class CdrDayFilterSet(django_filters.FilterSet):
    """Filters of the CDR tab within one day (the day itself is the selector's range, not a filter)."""

    number = django_filters.CharFilter(field_name="dialed_number", lookup_expr="contains", label="Number",
                                       widget=forms.TextInput(attrs=INPUT | {"placeholder": "Dialed number"}))
    cli = django_filters.CharFilter(lookup_expr="contains", label="CLI",
                                    widget=forms.TextInput(attrs=INPUT | {"placeholder": "CLI"}))
    sip_code = django_filters.NumberFilter(label="SIP code", widget=forms.NumberInput(
        attrs=INPUT | {"placeholder": "e.g. 486", "min": 100, "max": 699}))
    answered = django_filters.BooleanFilter(field_name="answer_time", lookup_expr="isnull", exclude=True,
                                            label="Answered", widget=forms.Select(
                                                attrs={"class": "form-select form-select-sm"},
                                                choices=[("", "Any"), ("true", "Answered"),
                                                         ("false", "Not answered")]))

    class Meta:
        model = CallDetailRecord
        fields = ["number", "cli", "sip_code", "answered"]
