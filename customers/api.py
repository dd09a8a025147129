"""Provisioning API for customers, through the same service and rules as the panel's form."""

import django_filters
from django.db import transaction
from rest_framework import serializers

from connex.api import ServiceModelSerializer, ServiceModelViewSet

from . import services
from .models import Customer
from .selectors import customers_visible_to, visible_through_customer


class CustomerOwnedSerializer(ServiceModelSerializer):
    """For objects that belong to a customer: `customer` offers only the customers the caller may
    see, and is fixed once the object exists (moving it to another customer is not an edit)."""

    def get_fields(self):
        fields = super().get_fields()
        customer = fields.get("customer")
        if customer is not None and not customer.read_only:
            if self.instance is not None and not isinstance(self.instance, list | tuple):
                fields["customer"] = serializers.PrimaryKeyRelatedField(read_only=True)
            else:
                request = self.context.get("request")
                customer.queryset = customers_visible_to(getattr(request, "user", None))
        return fields


def owned_by_visible_customers(queryset, user):
    """Objects of the customers the user may see ("only my customers" applies to what they own)."""
    return visible_through_customer(user, queryset)


class TagNamesField(serializers.ListField):
    child = serializers.CharField(max_length=50)

    def to_representation(self, value):
        return sorted(tag.name for tag in value.all())


class CustomerSerializer(ServiceModelSerializer):
    tags = TagNamesField(required=False, help_text="Tag names; new ones are created, matched case-insensitively.")
    service_fields = ("tags",)

    class Meta:
        model = Customer
        fields = ["id", "name", "status", "currency", "channels", "flow_speed", "debit_limit", "minimum_payment",
                  "topup_currencies", "tax_percent", "daily_spend_limit", "paypal_email", "website",
                  "p_asserted_id", "portal_access", "tags", "vars", "reseller", "account_manager",
                  "invoice_schedule", "create_invoice_on_payment", "invoice_due_days", "invoice_template",
                  "external_accounting_id", "rtp_firewall", "recording_retention_days", "domain",
                  "stir_shaken_attestation", "address_line1", "address_line2", "city", "region", "postcode",
                  "country", "approved_clis_only", "email_verification_required", "mobile_verification_required",
                  "notes", "timezone", "balance", "channels_in_use", "created", "updated"]
        read_only_fields = ["balance", "channels_in_use", "created", "updated"]

    def validate_tags(self, names):
        unique = {}
        for name in (n.strip() for n in names):
            if name:
                unique.setdefault(name.lower(), name)
        return list(unique.values())


class CustomerApiFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    status = django_filters.MultipleChoiceFilter(choices=Customer.Status.choices)
    tag = django_filters.CharFilter(field_name="tags__name", lookup_expr="iexact", distinct=True)

    class Meta:
        model = Customer
        fields = ["name", "status", "currency", "account_manager", "reseller", "external_accounting_id", "tag"]


def customer_api_list(*, user):
    queryset = Customer.objects.select_related("account_manager", "reseller").prefetch_related("tags")
    return customers_visible_to(user, queryset).order_by("pk")


class CustomerViewSet(ServiceModelViewSet):
    """Customers: limits, billing, portal and verification settings. The currency is fixed once created;
    a customer with financial history (invoices, payments, CDRs) cannot be deleted."""

    selector = staticmethod(customer_api_list)
    serializer_class = CustomerSerializer
    filterset_class = CustomerApiFilterSet
    save_service = staticmethod(services.customer_save)

    def _save(self, instance, extras):
        names = extras.pop("tags", None)
        with transaction.atomic():
            if names is not None:
                extras["tags"] = services.tag_get_or_create(names=names)
            return super()._save(instance, extras)

    def destroy_instance(self, instance):
        services.customer_delete(customer_ids=[instance.pk])
