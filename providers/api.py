import django_filters
from django.db import transaction
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers, viewsets

from connex.drf import STAFF_MODEL_PERMISSIONS, CleanedModelSerializer
from rates.models import RateCard

from .models import Gateway, Provider, ProviderRateCard


class ProviderSerializer(CleanedModelSerializer):
    rate_cards = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=RateCard.objects.filter(kind=RateCard.Kind.PROVIDER),
        help_text="Ids of the provider (buy) cards holding this provider's prices.")

    class Meta:
        model = Provider
        fields = ["id", "name", "status", "currency", "tier", "weight", "rate_cards", "created", "updated"]
        read_only_fields = ["created", "updated"]

    def validate(self, attrs):
        cards = attrs.get("rate_cards")
        currency = attrs.get("currency") or getattr(self.instance, "currency", None)
        if cards is not None:
            errors = [f"{card} is in {card.currency}, not {currency}." for card in cards if card.currency != currency]
            taken = ProviderRateCard.objects.filter(card__in=cards)
            if self.instance is not None:
                taken = taken.exclude(provider=self.instance)
            errors += [f"{link.card} already belongs to {link.provider}." for link in taken.select_related(
                "card", "provider")]
            if errors:
                raise serializers.ValidationError({"rate_cards": errors})
        return attrs

    @transaction.atomic
    def create(self, validated_data):
        cards = validated_data.pop("rate_cards", None)
        provider = super().create(validated_data)
        return self._link(provider, cards)

    @transaction.atomic
    def update(self, instance, validated_data):
        cards = validated_data.pop("rate_cards", None)
        provider = super().update(instance, validated_data)
        return self._link(provider, cards)

    def _link(self, provider, cards):
        if cards is not None:
            provider.card_links.exclude(card__in=cards).delete()
            for card in cards:
                ProviderRateCard.objects.get_or_create(provider=provider, card=card)
        return provider


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
    queryset = Provider.objects.prefetch_related("card_links__card").order_by("pk")
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["status", "currency"]


class GatewayViewSet(viewsets.ModelViewSet):
    """Providers' SIP gateways; `provider` filters by provider id."""

    permission_classes = STAFF_MODEL_PERMISSIONS
    serializer_class = GatewaySerializer
    queryset = Gateway.objects.order_by("pk")
    filter_backends = [DjangoFilterBackend]
    filterset_class = GatewayApiFilterSet


