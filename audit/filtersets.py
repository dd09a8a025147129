import django_filters
from django import forms
from pghistory.models import Events

from connex.filters import SELECT, date_range_filter

from .selectors import tracked_models


class EventFilterSet(django_filters.FilterSet):
    object_type = django_filters.ChoiceFilter(
        label="Object type", field_name="pgh_obj_model", choices=tracked_models,
        widget=forms.Select(attrs=SELECT))
    object_id = django_filters.CharFilter(label="Object id", field_name="pgh_obj_id",
                                          widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
    actor = django_filters.CharFilter(label="Actor", method="filter_actor",
                                      widget=forms.TextInput(attrs={"class": "form-control form-control-sm",
                                                                    "placeholder": "username, system, contact"}))
    request_id = django_filters.CharFilter(label="Request id", field_name="pgh_context__request_id",
                                           widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
    created = date_range_filter("Date between", field_name="pgh_created_at")

    class Meta:
        model = Events
        fields = []

    def filter_actor(self, queryset, name, value):
        from django.db.models import Q

        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(pgh_context__actor__iexact=value) | Q(pgh_context__on_behalf_of__iexact=value)
                               | Q(pgh_context__actor_type__iexact=value))
