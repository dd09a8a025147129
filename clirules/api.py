from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets

from connex.drf import STAFF_MODEL_PERMISSIONS, CleanedModelSerializer

from .models import CliRule


class CliRuleSerializer(CleanedModelSerializer):
    class Meta:
        model = CliRule
        fields = ["id", "customer", "position", "cli_pattern", "pai_pattern", "dialed_pattern", "direction",
                  "rewrite_cli", "rewrite_pai", "forced", "created", "updated"]
        read_only_fields = ["created", "updated"]


class CliRuleViewSet(viewsets.ModelViewSet):
    """A customer's ordered CLI rules (`customer` filters); the first matching rule applies."""

    permission_classes = STAFF_MODEL_PERMISSIONS
    serializer_class = CliRuleSerializer
    queryset = CliRule.objects.order_by("customer_id", "position", "pk")
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["customer"]
