import django_filters
from django import forms

from .models import Switch


class SwitchFilterSet(django_filters.FilterSet):
    address = django_filters.CharFilter(lookup_expr="startswith",
                                        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))

    class Meta:
        model = Switch
        fields = ["address"]
