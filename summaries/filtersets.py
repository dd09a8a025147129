import django_filters
from django import forms

from .models import CdrImport


class CdrImportFilterSet(django_filters.FilterSet):
    origin = django_filters.ChoiceFilter(choices=CdrImport.Origin.choices,
                                         widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    imported_at = django_filters.DateFromToRangeFilter(
        label="Imported between",
        widget=django_filters.widgets.DateRangeWidget(attrs={"class": "form-control form-control-sm", "type": "date"}))

    class Meta:
        model = CdrImport
        fields = ["origin", "imported_at"]
