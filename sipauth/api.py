"""SIP users and IP authentication entries: provisioning, and the lookups switches make at call time.

The lookups need a token with the `switch` scope; the SIP digest (HA1) is given only to such a
token whose user may read SIP secrets, never to a browser session or a read/write token.
"""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from connex.api import SCOPE_SWITCH, ServiceAPIView, ServiceModelViewSet, may_read_switch_secrets
from customers.api import CustomerOwnedSerializer
from customers.selectors import customer_is_visible_to, customers_visible_to
from customers.services import call_admission

from . import selectors, services
from .models import IpAuthEntry, SipUser


class CustomerAdmissionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField()
    channels = serializers.IntegerField()
    flow_speed = serializers.IntegerField()


class AdmissionSerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())


class SipUserLookupSerializer(serializers.Serializer):
    username = serializers.CharField()
    realm = serializers.CharField()
    ha1 = serializers.CharField(required=False, help_text="md5(username:realm:password), for SIP digest "
                                "verification; only for a `switch` token whose user may read SIP secrets.")
    channels = serializers.IntegerField()
    flow_speed = serializers.IntegerField()
    allowed_ips = serializers.ListField(child=serializers.CharField())
    customer = CustomerAdmissionSerializer()
    admission = AdmissionSerializer()


class IpEntryLookupSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    address = serializers.CharField()
    port = serializers.IntegerField()
    protocol = serializers.CharField()
    tech_prefix = serializers.CharField()
    strip_digits = serializers.IntegerField()
    dial_pattern = serializers.CharField()
    cli_prefix = serializers.CharField()
    codecs = serializers.ListField(child=serializers.CharField())
    direction = serializers.CharField()
    channels = serializers.IntegerField()
    flow_speed = serializers.IntegerField()
    customer = CustomerAdmissionSerializer()
    admission = AdmissionSerializer()


class IpLookupResultSerializer(serializers.Serializer):
    matches = IpEntryLookupSerializer(many=True)


def _customer(customer):
    return {"id": customer.pk, "name": customer.name, "status": customer.status,
            "channels": customer.channels, "flow_speed": customer.flow_speed}


def _admission(customer, now, cache):
    if customer.pk not in cache:
        answer = call_admission(customer, now)
        cache[customer.pk] = {"allowed": answer.allowed, "reasons": list(answer.reasons)}
    return cache[customer.pk]


class SipUserLookupView(ServiceAPIView):
    permission_required = {"GET": ("sipauth.view_sipuser",)}
    token_scope = SCOPE_SWITCH

    @extend_schema(responses=SipUserLookupSerializer, summary="Look up a SIP user",
                   description="The SIP user's digest HA1 and limits, its customer, and whether the "
                               "customer may place a call now (with every reason when not).")
    def get(self, request, username):
        sip_user = selectors.sip_user_get(username=username)
        if sip_user is None or not customer_is_visible_to(request.user, sip_user.customer):
            raise NotFound("No SIP user with this username.")
        customer = sip_user.customer
        answer = {
            "username": sip_user.username, "realm": sip_user.realm,
            "channels": sip_user.channels, "flow_speed": sip_user.flow_speed, "allowed_ips": sip_user.allowed_ips,
            "customer": _customer(customer), "admission": _admission(customer, timezone.now(), {}),
        }
        if may_read_switch_secrets(request):
            answer["ha1"] = sip_user.ha1
        return Response(SipUserLookupSerializer(answer).data)


class IpLookupQuerySerializer(serializers.Serializer):
    address = serializers.CharField(max_length=253)
    port = serializers.IntegerField(required=False, min_value=1, max_value=65535)
    protocol = serializers.ChoiceField(choices=IpAuthEntry.Protocol.values, required=False)
    tech_prefix = serializers.RegexField(r"^\d*$", max_length=20, required=False, allow_blank=True)
    direction = serializers.ChoiceField(choices=IpAuthEntry.Direction.values, required=False)


class IpEntryLookupView(ServiceAPIView):
    permission_required = {"GET": ("sipauth.view_ipauthentry",)}
    token_scope = SCOPE_SWITCH

    @extend_schema(parameters=[IpLookupQuerySerializer], responses=IpLookupResultSerializer,
                   summary="Look up IP authentication entries",
                   description="Entries for a source address (optionally narrowed by port, protocol, tech prefix "
                               "and direction), each with its customer and call-admission answer. 404 when none.")
    def get(self, request):
        query = IpLookupQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        entries = list(selectors.ip_entry_list(
            address=params["address"], port=params.get("port"), protocol=params.get("protocol"),
            tech_prefix=params.get("tech_prefix"), direction=params.get("direction")
        ).filter(customer__in=customers_visible_to(request.user)))
        if not entries:
            raise NotFound("No IP authentication entry matches.")
        now, cache = timezone.now(), {}
        matches = [{
            "id": e.pk, "address": e.address, "port": e.port, "protocol": e.protocol, "tech_prefix": e.tech_prefix,
            "strip_digits": e.strip_digits, "dial_pattern": e.dial_pattern, "cli_prefix": e.cli_prefix,
            "codecs": e.codecs, "direction": e.direction, "channels": e.channels, "flow_speed": e.flow_speed,
            "customer": _customer(e.customer), "admission": _admission(e.customer, now, cache),
        } for e in entries]
        return Response(IpLookupResultSerializer({"matches": matches}).data)


# Provisioning ----------------------------------------------------------------------------------

class SipUserSerializer(CustomerOwnedSerializer):
    username = serializers.CharField(read_only=True)
    password = serializers.CharField(write_only=True, required=False, style={"input_type": "password"},
                                     help_text="Required when creating and when changing the extension; "
                                               "only its digest is stored.")
    service_fields = ("password",)

    class Meta:
        model = SipUser
        fields = ["id", "customer", "extension", "username", "realm", "channels", "flow_speed", "allowed_ips",
                  "password", "password_changed", "created", "updated"]
        read_only_fields = ["realm", "password_changed", "created", "updated"]


class SipUserViewSet(ServiceModelViewSet):
    """SIP registration accounts. The extension is unique account-wide and, for a customer holding
    number blocks, inside one of them. The digest is never returned here."""

    selector = staticmethod(selectors.sip_user_api_list)
    serializer_class = SipUserSerializer
    filterset_fields = ["customer", "extension"]
    save_service = staticmethod(services.sip_user_save)
    delete_service = staticmethod(services.sip_user_delete)


class IpEntrySerializer(CustomerOwnedSerializer):
    class Meta:
        model = IpAuthEntry
        fields = ["id", "customer", "address", "port", "protocol", "tech_prefix", "strip_digits", "dial_pattern",
                  "cli_prefix", "codecs", "direction", "channels", "flow_speed", "created", "updated"]
        read_only_fields = ["created", "updated"]


class IpEntryViewSet(ServiceModelViewSet):
    """Switches and PBXs of customers authenticated by source address (and port, protocol, tech prefix)."""

    selector = staticmethod(selectors.ip_entry_api_list)
    serializer_class = IpEntrySerializer
    filterset_fields = ["customer", "address", "protocol", "direction"]
    save_service = staticmethod(services.ip_entry_save)
    delete_service = staticmethod(services.ip_entry_delete)
    service_instance_kwarg = "entry"
