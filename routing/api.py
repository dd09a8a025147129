import django_filters
from django.core.exceptions import ValidationError
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import permissions, serializers, viewsets

from connex.api_policy import TokenScope
from rates.api import ModelPermissions
from rates.models import RateCard

from .models import IngressRoute
from .services import ingress_route_delete, ingress_route_save


class IngressRouteSerializer(serializers.ModelSerializer):
    # Every card is accepted here so the service can say why a provider card does not fit.
    rate_card = serializers.PrimaryKeyRelatedField(queryset=RateCard.objects.all())
    lock_cards = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=RateCard.objects.all(),
        help_text="Ids of the only provider cards this route may use; empty for all.")
    exclude_cards = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=RateCard.objects.all(),
        help_text="Ids of provider cards this route never uses.")

    class Meta:
        model = IngressRoute
        fields = ["id", "customer", "rate_card", "tech_prefix", "dial_pattern", "priority", "channels", "flow_speed",
                  "max_duration", "capped_rate", "block_connect_cost", "strategy", "lock_cards", "exclude_cards",
                  "provider_capped_rate", "profit_assurance", "rtp_mode", "max_providers", "created", "updated"]
        validators = []  # the service checks every rule, uniqueness included, and names the field

    def save(self, **kwargs):
        data = {**self.validated_data, **kwargs}
        lists = {name: data.pop(name) for name in ("lock_cards", "exclude_cards") if name in data}
        route = self.instance or IngressRoute()
        for name, value in data.items():
            setattr(route, name, value)
        try:
            self.instance = ingress_route_save(route=route, **lists)
        except ValidationError as exc:
            raise serializers.ValidationError(serializers.as_serializer_error(exc))
        return self.instance


class IngressRouteFilterSet(django_filters.FilterSet):
    customer = django_filters.NumberFilter(field_name="customer_id")
    rate_card = django_filters.NumberFilter(field_name="rate_card_id")

    class Meta:
        model = IngressRoute
        fields = ["customer", "rate_card", "tech_prefix"]


class IngressRouteViewSet(viewsets.ModelViewSet):
    """Customers' ingress routes: which card prices their calls, and the limits of each way in."""

    queryset = IngressRoute.objects.order_by("pk")
    serializer_class = IngressRouteSerializer
    permission_classes = [permissions.IsAdminUser, TokenScope, ModelPermissions]
    filter_backends = [DjangoFilterBackend]
    filterset_class = IngressRouteFilterSet

    def perform_destroy(self, instance):
        ingress_route_delete(route=instance)
