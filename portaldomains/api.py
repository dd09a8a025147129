"""Portal domains through the API: a carrier's provisioning creates the branded portal addresses
its resellers' customers sign in at. The logo is sent as a multipart file (`logo`); JSON writes
leave it as it is."""

import django_filters
from rest_framework import serializers

from connex.api import ServiceModelSerializer, ServiceModelViewSet
from customers.models import PortalSection

from . import selectors, services
from .models import PortalDomain, TopupMethod


class PortalDomainSerializer(ServiceModelSerializer):
    features = serializers.ListField(child=serializers.ChoiceField(choices=PortalSection.choices), required=False,
                                     help_text="Portal sections offered at this address.")
    topup_methods = serializers.ListField(child=serializers.ChoiceField(choices=TopupMethod.choices), required=False)
    logo = serializers.ImageField(required=False, write_only=True, help_text="PNG, JPEG or WebP (multipart).")
    has_logo = serializers.SerializerMethodField()
    customers = serializers.IntegerField(source="customer_count", read_only=True,
                                         help_text="Customers whose Domain is this host.")

    class Meta:
        model = PortalDomain
        fields = ["id", "host", "display_name", "logo", "has_logo", "primary_colour", "accent_colour",
                  "support_email", "support_phone", "features", "topup_methods", "customers", "created", "updated"]
        read_only_fields = ["created", "updated"]

    def get_has_logo(self, domain) -> bool:
        return bool(domain.logo)


class PortalDomainApiFilterSet(django_filters.FilterSet):
    host = django_filters.CharFilter(lookup_expr="icontains", help_text="Host names containing this text.")

    class Meta:
        model = PortalDomain
        fields = ["host"]


class PortalDomainViewSet(ServiceModelViewSet):
    """Branded addresses of the customer portal: name, logo, colours, support contacts, the sections
    and top-up methods offered. Renaming a host moves its customers with it; a domain still used
    by customers cannot be deleted."""

    selector = staticmethod(selectors.domain_list)
    serializer_class = PortalDomainSerializer
    filterset_class = PortalDomainApiFilterSet
    save_service = staticmethod(services.domain_save)
    delete_service = staticmethod(services.domain_delete)
    service_instance_kwarg = "domain"
