"""Invoices (read) and payments (record, change status) for billing and accounting systems."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from connex.api import ReadOnlyServiceViewSet, ServiceModelViewSet
from connex.filters import SafeIsoDateTimeFilter
from customers.api import CustomerOwnedSerializer, owned_by_visible_customers

from . import services
from .models import Invoice, Payment, PaymentAllocation
from .serializers import InvoiceSerializer


class InvoiceApiFilterSet(django_filters.FilterSet):
    customer = django_filters.NumberFilter(field_name="customer_id")
    status = django_filters.MultipleChoiceFilter(choices=Invoice.Status.choices)
    issued_after = django_filters.DateFilter(field_name="issue_date", lookup_expr="gte")
    issued_before = django_filters.DateFilter(field_name="issue_date", lookup_expr="lte")
    period_after = SafeIsoDateTimeFilter(field_name="period_end", lookup_expr="gt", label="Period ends after")
    period_before = SafeIsoDateTimeFilter(field_name="period_start", lookup_expr="lt",
                                          label="Period starts before")
    external_accounting_id = django_filters.CharFilter()

    class Meta:
        model = Invoice
        fields = ["customer", "status", "currency", "kind", "external_accounting_id"]


def invoice_api_list(*, user):
    return owned_by_visible_customers(
        Invoice.objects.select_related("customer").prefetch_related("lines"), user).order_by("pk")


class InvoiceViewSet(ReadOnlyServiceViewSet):
    """Invoices with their lines, for billing and accounting systems (drafts included, by status)."""

    selector = staticmethod(invoice_api_list)
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceApiFilterSet


# Payments --------------------------------------------------------------------------------------

class AllocationSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaymentAllocation
        fields = ["invoice", "amount"]
        extra_kwargs = {"amount": {"min_value": 0}}


class PaymentSerializer(CustomerOwnedSerializer):
    allocations = AllocationSerializer(many=True, required=False,
                                       help_text="Parts of the payment settling issued invoices of the customer.")
    exchange_rate = serializers.DecimalField(max_digits=18, decimal_places=8, required=False, allow_null=True,
                                             help_text="Account-currency units per unit of the payment currency; "
                                                       "needed when paying in a top-up currency.")

    class Meta:
        model = Payment
        fields = ["id", "customer", "amount", "currency", "exchange_rate", "credited_amount", "method", "status",
                  "description", "received_at", "credited", "receipt", "allocations", "created", "updated"]
        read_only_fields = ["credited_amount", "credited", "receipt", "created", "updated"]


class PaymentStatusSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = ["status"]


def payment_api_list(*, user):
    return owned_by_visible_customers(
        Payment.objects.select_related("customer").prefetch_related("allocations"), user).order_by("pk")


class PaymentFilterSet(django_filters.FilterSet):
    received_after = SafeIsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = SafeIsoDateTimeFilter(field_name="received_at", lookup_expr="lt")

    class Meta:
        model = Payment
        fields = ["customer", "status", "method", "currency"]


class PaymentViewSet(ServiceModelViewSet):
    """Money received from customers. A completed payment credits the balance; changing the status
    moves the balance once per transition. Payments are financial records: never deleted, cancelled
    instead (PATCH status)."""

    selector = staticmethod(payment_api_list)
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]
    action_permissions = {"create": ("invoicing.record_payment",),
                          "partial_update": ("invoicing.record_payment",)}

    def get_serializer_class(self):
        return PaymentStatusSerializer if self.action == "partial_update" else PaymentSerializer

    def get_permission_model(self):
        return Payment

    def create_instance(self, serializer):
        data = dict(serializer.validated_data)
        allocations = [(part["invoice"], part["amount"]) for part in data.pop("allocations", [])]
        return services.payment_record(allocations=allocations, user=self.request.user, **data)

    def update_instance(self, serializer, instance):
        return services.payment_set_status(payment=instance, status=serializer.validated_data["status"],
                                           user=self.request.user)

    @extend_schema(request=PaymentStatusSerializer, responses=PaymentSerializer,
                   summary="Change a payment's status")
    def partial_update(self, request, *args, **kwargs):
        instance = self.get_object()
        serializer = PaymentStatusSerializer(instance, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if "status" not in serializer.validated_data:
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"status": ["This field is required."]})
        payment = self.update_instance(serializer, instance)
        return Response(PaymentSerializer(self.get_queryset().get(pk=payment.pk),
                                          context=self.get_serializer_context()).data)
