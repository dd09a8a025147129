import django_filters
from django import forms

from connex.filters import SELECT

from .models import Package


class PackageFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Package.Kind.choices, widget=forms.Select(attrs=SELECT))
    frequency = django_filters.ChoiceFilter(choices=Package.Frequency.choices, widget=forms.Select(attrs=SELECT))
    currency = django_filters.CharFilter(widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))

    class Meta:
        model = Package
        fields = ["kind", "frequency", "currency"]
