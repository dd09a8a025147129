"""DIDs: the inventory through the API (create, assign by setting `customer`, release by clearing it)."""

import django_filters
from rest_framework import serializers

from connex.api import ServiceModelSerializer, ServiceModelViewSet
from customers.selectors import customers_visible_to

from . import selectors, services
from .models import Did


class DidSerializer(ServiceModelSerializer):
    number = serializers.CharField(max_length=32, help_text="E.164; stored and answered as digits without +.")
    in_stock = serializers.BooleanField(read_only=True)

    class Meta:
        model = Did
        fields = ["id", "number", "provider", "provider_card", "customer", "customer_card", "destination_type",
                  "sip_user", "ip_entry", "destination_uri", "portal_can_edit_destination", "channels", "cps", "max_duration", "in_stock",
                  "assigned_at", "created", "updated"]
        read_only_fields = ["assigned_at", "created", "updated"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        fields["customer"].queryset = customers_visible_to(getattr(request, "user", None))
        return fields


class DidApiFilterSet(django_filters.FilterSet):
    in_stock = django_filters.BooleanFilter(field_name="customer", lookup_expr="isnull",
                                            help_text="true: numbers in stock; false: assigned numbers.")
    number = django_filters.CharFilter(method="filter_number", help_text="Numbers starting with these digits.")

    class Meta:
        model = Did
        fields = ["customer", "provider", "destination_type", "in_stock", "number"]

    def filter_number(self, queryset, name, value):
        return queryset.filter(number__startswith=value.strip().lstrip("+"))


class DidViewSet(ServiceModelViewSet):
    """Numbers the carrier holds: in stock (no customer) or assigned to a customer with the customer's
    origination card and a destination. Calls to an assigned number are that customer's inbound calls.
    A number must be released (customer cleared) before it can be deleted."""

    selector = staticmethod(selectors.did_list)
    serializer_class = DidSerializer
    filterset_class = DidApiFilterSet
    save_service = staticmethod(services.did_save)
    delete_service = staticmethod(services.did_delete)
