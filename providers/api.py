import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers, viewsets

from connex.drf import STAFF_MODEL_PERMISSIONS, CleanedModelSerializer

from .models import Gateway, Provider


class ProviderSerializer(CleanedModelSerializer):
    rate_cards = serializers.SerializerMethodField()

    class Meta:
        model = Provider
        fields = ["id", "name", "status", "currency", "tier", "weight", "rate_cards", "created", "updated"]
        read_only_fields = ["created", "updated"]

    def get_rate_cards(self, provider) -> list[int]:
        return [link.card_id for link in provider.card_links.all()]


class GatewaySerializer(CleanedModelSerializer):
    class Meta:
        model = Gateway
        fields = ["id", "provider", "host", "port", "transport", "tech_prefix", "channels", "flow_speed", "weight",
                  "enabled", "created", "updated"]
        read_only_fields = ["created", "updated"]


class GatewayApiFilterSet(django_filters.FilterSet):
    provider = django_filters.NumberFilter(field_name="provider_id")

    class Meta:
        model = Gateway
        fields = ["provider", "enabled", "transport"]


class ProviderViewSet(viewsets.ModelViewSet):
    """Providers (the carriers calls are sent to) with the ids of their buy rate cards."""

    permission_classes = STAFF_MODEL_PERMISSIONS
    serializer_class = ProviderSerializer
    queryset = Provider.objects.prefetch_related("card_links").order_by("pk")
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["status", "currency"]


class GatewayViewSet(viewsets.ModelViewSet):
    """Providers' SIP gateways; `provider` filters by provider id."""

    permission_classes = STAFF_MODEL_PERMISSIONS
    serializer_class = GatewaySerializer
    queryset = Gateway.objects.order_by("pk")
    filter_backends = [DjangoFilterBackend]
    filterset_class = GatewayApiFilterSet


