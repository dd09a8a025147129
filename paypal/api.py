"""PayPal IPNs (read): what PayPal notified and what each notification credited or debited."""

from rest_framework import serializers

from connex.api import ReadOnlyServiceViewSet

from . import selectors
from .filtersets import PayPalIpnFilterSet
from .models import PayPalIpn


class PayPalIpnSerializer(serializers.ModelSerializer):
    class Meta:
        model = PayPalIpn
        fields = ["id", "txn_id", "parent_txn_id", "txn_type", "payment_status", "receiver_email", "payer_email",
                  "gross", "currency", "custom", "verification", "verified_at", "outcome", "reason", "customer",
                  "payment", "credited_amount", "fields", "created", "updated"]
        read_only_fields = fields


def ipn_api_list(*, user):
    return selectors.ipn_list(user=user).order_by("pk")


class PayPalIpnViewSet(ReadOnlyServiceViewSet):
    """Every IPN PayPal posted, verified or not, with its outcome."""

    selector = staticmethod(ipn_api_list)
    serializer_class = PayPalIpnSerializer
    filterset_class = PayPalIpnFilterSet
