"""Read-only lookups for switches: who owns this SIP user or source address, and may it call now."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.services import call_admission

from . import selectors
from .models import IpAuthEntry


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
    ha1 = serializers.CharField(help_text="md5(username:realm:password), for SIP digest verification.")
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


class SipUserLookupView(APIView):
    @extend_schema(responses=SipUserLookupSerializer, summary="Look up a SIP user",
                   description="The SIP user's digest HA1 and limits, its customer, and whether the "
                               "customer may place a call now (with every reason when not).")
    def get(self, request, username):
        sip_user = selectors.sip_user_get(username=username)
        if sip_user is None:
            raise NotFound("No SIP user with this username.")
        customer = sip_user.customer
        return Response(SipUserLookupSerializer({
            "username": sip_user.username, "realm": sip_user.realm, "ha1": sip_user.ha1,
            "channels": sip_user.channels, "flow_speed": sip_user.flow_speed, "allowed_ips": sip_user.allowed_ips,
            "customer": _customer(customer), "admission": _admission(customer, timezone.now(), {}),
        }).data)


class IpLookupQuerySerializer(serializers.Serializer):
    address = serializers.CharField(max_length=253)
    port = serializers.IntegerField(required=False, min_value=1, max_value=65535)
    protocol = serializers.ChoiceField(choices=IpAuthEntry.Protocol.values, required=False)
    tech_prefix = serializers.RegexField(r"^\d*$", max_length=20, required=False, allow_blank=True)
    direction = serializers.ChoiceField(choices=IpAuthEntry.Direction.values, required=False)


class IpEntryLookupView(APIView):
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
            tech_prefix=params.get("tech_prefix"), direction=params.get("direction")))
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
