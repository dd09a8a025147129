import django_filters
from django import forms

from connex.filters import SELECT, date_range_filter
from customers.models import Customer

from .models import Broadcast, Message


class MessageFilterSet(django_filters.FilterSet):
    channel = django_filters.ChoiceFilter(choices=Message.Channel.choices, widget=forms.Select(attrs=SELECT))
    state = django_filters.MultipleChoiceFilter(choices=Message.State.choices, widget=forms.CheckboxSelectMultiple)
    kind = django_filters.CharFilter(widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
    customer = django_filters.ModelChoiceFilter(queryset=Customer.objects.order_by("name"),
                                                widget=forms.Select(attrs=SELECT))
    broadcast = django_filters.ModelChoiceFilter(queryset=Broadcast.objects.all(), widget=forms.Select(attrs=SELECT))
    created = date_range_filter("Created between")

    class Meta:
        model = Message
        fields = ["channel", "state", "kind", "customer", "broadcast", "created"]


class BroadcastFilterSet(django_filters.FilterSet):
    channel = django_filters.ChoiceFilter(choices=Message.Channel.choices, widget=forms.Select(attrs=SELECT))
    created = date_range_filter("Created between")

    class Meta:
        model = Broadcast
        fields = ["channel", "created"]
