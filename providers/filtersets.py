import django_filters
from django import forms

from .models import Provider


class ProviderFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Provider.Status.choices,
                                         widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    currency = django_filters.CharFilter(widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))

    class Meta:
        model = Provider
        fields = ["status", "currency"]
