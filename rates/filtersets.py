import django_filters
from django import forms
from django.db.models import Q

from connex.filters import SELECT

from .models import RateCard, RateRow


class RateCardFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=RateCard.Kind.choices, widget=forms.Select(attrs=SELECT))
    direction = django_filters.ChoiceFilter(choices=RateCard.Direction.choices, widget=forms.Select(attrs=SELECT))
    currency = django_filters.CharFilter(widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))

    class Meta:
        model = RateCard
        fields = ["kind", "direction", "currency"]


class RateRowFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Prefix or name")
    blocked = django_filters.BooleanFilter()

    class Meta:
        model = RateRow
        fields = ["q", "blocked"]

    def search(self, queryset, name, value):
        value = value.strip().lstrip("+")
        if value.isdigit():
            return queryset.filter(prefix__startswith=value)
        return queryset.filter(Q(name__icontains=value) | Q(prefix__startswith=value))
