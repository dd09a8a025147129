import django_filters
from django import forms

from customers.models import Customer

from .models import Broadcast, Message

SELECT = {"class": "form-select form-select-sm"}


class MessageFilterSet(django_filters.FilterSet):
    channel = django_filters.ChoiceFilter(choices=Message.Channel.choices, widget=forms.Select(attrs=SELECT))
    state = django_filters.MultipleChoiceFilter(choices=Message.State.choices, widget=forms.CheckboxSelectMultiple)
    kind = django_filters.CharFilter(widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
    customer = django_filters.ModelChoiceFilter(queryset=Customer.objects.order_by("name"),
                                                widget=forms.Select(attrs=SELECT))
    broadcast = django_filters.ModelChoiceFilter(queryset=Broadcast.objects.all(), widget=forms.Select(attrs=SELECT))
    created = django_filters.DateFromToRangeFilter(
        label="Created between",
        widget=django_filters.widgets.RangeWidget(attrs={"class": "form-control form-control-sm", "type": "date"}))

    class Meta:
        model = Message
        fields = ["channel", "state", "kind", "customer", "broadcast", "created"]


class BroadcastFilterSet(django_filters.FilterSet):
    channel = django_filters.ChoiceFilter(choices=Message.Channel.choices, widget=forms.Select(attrs=SELECT))
    created = django_filters.DateFromToRangeFilter(
        label="Created between",
        widget=django_filters.widgets.RangeWidget(attrs={"class": "form-control form-control-sm", "type": "date"}))

    class Meta:
        model = Broadcast
        fields = ["channel", "created"]
