import django_filters
from django import forms

from connex.filters import SELECT, date_range_filter

from .models import CdrImport


class CdrImportFilterSet(django_filters.FilterSet):
    origin = django_filters.ChoiceFilter(choices=CdrImport.Origin.choices,
                                         widget=forms.Select(attrs=SELECT))
    imported_at = date_range_filter("Imported between", widget=django_filters.widgets.DateRangeWidget)

    class Meta:
        model = CdrImport
        fields = ["origin", "imported_at"]
