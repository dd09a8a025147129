"""Approved CLIs: the caller IDs a customer may present when it calls with approved CLIs only."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from connex.api import ServiceModelViewSet
from customers.api import CustomerOwnedSerializer, owned_by_visible_customers
from customers.models import ApprovedCLI

from . import services


class ApprovedCliSerializer(CustomerOwnedSerializer):
    is_active = serializers.BooleanField(read_only=True)
    number = serializers.CharField(max_length=32, help_text="Normalised to E.164 (national numbers read in the "
                                                            "customer's country).")

    class Meta:
        model = ApprovedCLI
        fields = ["id", "customer", "number", "approved_at", "revoked_at", "is_active", "created", "updated"]
        read_only_fields = ["approved_at", "revoked_at", "created", "updated"]


def approved_cli_api_list(*, user):
    return owned_by_visible_customers(ApprovedCLI.objects.select_related("customer"), user).order_by("pk")


class ApprovedCliViewSet(ServiceModelViewSet):
    """Create approves a number at once (no verification call); revoke keeps the record, delete removes it."""

    selector = staticmethod(approved_cli_api_list)
    serializer_class = ApprovedCliSerializer
    filterset_fields = ["customer", "number"]
    http_method_names = ["get", "post", "delete", "head", "options"]
    delete_service = staticmethod(services.cli_delete)
    service_instance_kwarg = "cli"
    action_permissions = {"revoke": ("customers.change_approvedcli",)}

    def create_instance(self, serializer):
        data = serializer.validated_data
        return services.cli_approve(customer=data["customer"], number=data["number"], user=self.request.user)

    @extend_schema(request=None, responses=ApprovedCliSerializer, summary="Revoke an approved CLI")
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        cli = services.cli_revoke(cli=self.get_object(), user=request.user)
        return self.respond(cli)
