import django_filters
from django import forms

from connex.filters import SELECT
from providers.models import Provider

from .models import Did


class DidFilterSet(django_filters.FilterSet):
    stock = django_filters.ChoiceFilter(label="Stock", choices=(("in_stock", "In stock"), ("assigned", "Assigned")),
                                        method="filter_stock", widget=forms.Select(attrs=SELECT))
    provider = django_filters.ModelChoiceFilter(queryset=Provider.objects.order_by("name"),
                                                widget=forms.Select(attrs=SELECT))
    number = django_filters.CharFilter(label="Number starts with", method="filter_number",
                                       widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
    destination_type = django_filters.ChoiceFilter(choices=Did.DestinationType.choices,
                                                   widget=forms.Select(attrs=SELECT))

    class Meta:
        model = Did
        fields = ["stock", "provider", "number", "destination_type"]

    def filter_stock(self, queryset, name, value):
        return queryset.filter(customer__isnull=value == "in_stock")

    def filter_number(self, queryset, name, value):
        return queryset.filter(number__startswith=value.strip().lstrip("+"))
