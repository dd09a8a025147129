from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import BasePermission, IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from connex.api_policy import TokenScope

from .services import call_simulate


class CanSimulateCalls(BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perm("calls.simulate_call")


class SimulateSerializer(serializers.Serializer):
    customer = serializers.IntegerField(required=False, help_text="Customer id; or identify by source_ip/sip_user.")
    source_ip = serializers.CharField(required=False, allow_blank=True, max_length=64)
    sip_user = serializers.CharField(required=False, allow_blank=True, max_length=64)
    switch_ip = serializers.CharField(required=False, allow_blank=True, max_length=64)
    dialed = serializers.RegexField(r"^\+?[0-9#]{1,40}$", error_messages={"invalid": "Digits only (a leading + and "
                                                                                    "a # after a tech prefix allowed)."})
    cli = serializers.CharField(required=False, allow_blank=True, max_length=64)
    pai = serializers.CharField(required=False, allow_blank=True, max_length=64)

    def validate(self, attrs):
        if not (attrs.get("customer") or attrs.get("source_ip") or attrs.get("sip_user")):
            raise serializers.ValidationError("Give customer, source_ip or sip_user.")
        return attrs


class CallSimulateView(APIView):
    permission_classes = [IsAdminUser, TokenScope, CanSimulateCalls]

    @extend_schema(request=SimulateSerializer, summary="Simulate a call",
                   description="The routing decision for a call, without reserving anything: allowed with the "
                               "routes in order, or refused with its SIP code and every reason; and the trace of "
                               "every step. Stored as a simulated attempt on the customer's Latest Calls.",
                   responses=inline_serializer("CallDecision", {
                       "attempt": serializers.IntegerField(), "allowed": serializers.BooleanField(),
                       "sip_code": serializers.IntegerField(), "reason": serializers.CharField(),
                       "reasons": serializers.ListField(child=serializers.CharField()),
                       "routes": serializers.ListField(child=serializers.DictField()),
                       "trace": serializers.ListField(child=serializers.DictField())}))
    def post(self, request):
        data = SimulateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        attempt, decision = call_simulate(
            dialed=values["dialed"], cli=values.get("cli", ""), pai=values.get("pai", ""),
            customer_id=values.get("customer"), source_ip=values.get("source_ip", ""),
            sip_user=values.get("sip_user", ""), switch_ip=values.get("switch_ip", ""), user=request.user)
        return Response({"attempt": attempt.pk, **decision.as_dict()})
