"""Alerts API: an alert per customer, through the same service and rules as the card's Alerts tab."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from connex.api import ServiceModelViewSet
from customers.api import CustomerOwnedSerializer

from . import selectors, services
from .models import Alert, AlertEvent


class AlertSerializer(CustomerOwnedSerializer):
    recipients = serializers.ListField(child=serializers.CharField(max_length=254), required=False,
                                       help_text="Emails and mobiles (normalised to E.164); empty sends to the "
                                                 "customer's billing contacts.")

    class Meta:
        model = Alert
        fields = ["id", "customer", "title", "enabled", "recipients", "area", "operator", "threshold",
                  "reset_threshold", "sample_hours", "min_attempts", "repeat_minutes", "penalty",
                  "penalty_lift_on_reset", "subject", "message", "source", "follows_default", "state", "fired_at",
                  "last_sent_at", "last_value", "created", "updated"]
        read_only_fields = ["source", "state", "fired_at", "last_sent_at", "last_value", "created", "updated"]


class AlertEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AlertEvent
        fields = ["id", "alert", "customer", "title", "kind", "at", "value", "threshold", "area", "operator",
                  "messages", "penalty"]


class AlertViewSet(ServiceModelViewSet):
    """Alerts on a customer's balance, daily spend, ASR, ACD, PDD or channels in use. Evaluated every
    minute: an alert fires once when its value crosses the threshold, re-arms after crossing back over the
    reset level, and resends every repeat interval meanwhile. A changed condition re-arms the alert."""

    selector = staticmethod(selectors.alert_api_list)
    serializer_class = AlertSerializer
    filterset_fields = ["customer", "area", "state", "enabled", "source"]
    save_service = staticmethod(services.alert_save)
    delete_service = staticmethod(services.alert_delete)
    action_permissions = {"send_test": ("alerts.change_alert",)}

    @extend_schema(request=None, responses=AlertEventSerializer, summary="Send a test of the alert",
                   description="Sends the alert's message to its recipients now, with the current value; the "
                               "alert's state is left as it is. Answers the recorded test event.")
    @action(detail=True, methods=["post"], url_path="send-test")
    def send_test(self, request, pk=None):
        event = services.alert_send_test(alert=self.get_object())
        return Response(AlertEventSerializer(event).data)
