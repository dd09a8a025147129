import re

import django_filters
from django import forms
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import BasePermission, IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from apitokens.cache import VERSION_KEY as TOKENS_VERSION_KEY
from connex import redis_batch
from connex.api import SCOPE_SWITCH, ServiceAPIView, ServiceModelSerializer, ServiceModelViewSet
from connex.api_policy import TokenScope
from connex.redis_batch import prefetch, prefetch_assumed
from routing.cache import redis_client as routing_redis
from routing.engine import CallRequest, decide_turn_give_back, decide_version_keys

from . import services
from .models import Switch
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


# The switch's call-control API --------------------------------------------------------------------

NUMBER = r"^\+?[0-9#*]{1,40}$"


class AuthorizeSerializer(serializers.Serializer):
    call_id = serializers.CharField(max_length=200)
    source_ip = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    sip_user = serializers.CharField(max_length=64, required=False, allow_blank=True, allow_null=True, default="")
    dialed = serializers.RegexField(NUMBER, max_length=41, error_messages={
        "invalid": "Digits only (a leading + and a # after a tech prefix allowed)."})
    cli = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    pai = serializers.CharField(max_length=64, required=False, allow_blank=True, allow_null=True, default="")
    switch_ip = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


# (name, max length, required, null allowed) of every AuthorizeSerializer field but dialed.
_AUTHORIZE_TEXT = (("call_id", 200, True, False), ("source_ip", 64, False, False), ("sip_user", 64, False, True),
                   ("cli", 64, False, False), ("pai", 64, False, True), ("switch_ip", 64, False, False))
_NUMBER = re.compile(NUMBER)


def authorize_values(data):
    """AuthorizeSerializer's validated data for a body it accepts as sent, or None.

    Building and running the serializer is a fifth of an authorize's work; a switch's bodies are
    plain ASCII strings, which this reads directly. Anything else (a missing or blank field, a
    number, blanks to trim, a long or odd value) returns None, and the serializer validates it
    and words the errors: the answer is the same either way.
    """
    if not isinstance(data, dict):
        return None
    values = {}
    for name, limit, required, nullable in _AUTHORIZE_TEXT:
        value = data.get(name, "")
        if value is None and nullable:
            values[name] = None
            continue
        if (type(value) is not str or len(value) > limit or (required and not value) or not value.isascii()
                or "\x00" in value or value.strip() != value):
            return None
        values[name] = value
    dialed = data.get("dialed")
    if type(dialed) is not str or len(dialed) > 41 or not dialed.isascii() or not _NUMBER.search(dialed) \
            or dialed.strip() != dialed:
        return None
    values["dialed"] = dialed
    return values


def authorize_prefetch(data, fresh=False):
    """The lean path's read-ahead (connex.api.lean_view): the token's version and the versions decide
    reads for this caller, in one Redis round trip instead of two — or none, when this thread read
    them before: they are then assumed, and the reservation's script checks them before it writes
    (calls.services.call_authorize)."""
    if not isinstance(data, dict):
        return
    fields = {name: data.get(name) for name in ("dialed", "source_ip", "sip_user")}
    if not all(type(value) is str for value in fields.values() if value is not None):
        return
    call = CallRequest(**{name: value or "" for name, value in fields.items()})
    keys = [TOKENS_VERSION_KEY, *decide_version_keys(call)]
    (prefetch if fresh else prefetch_assumed)(routing_redis(), keys)


class AnswerSerializer(serializers.Serializer):
    h_entry = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    h_id = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    gateway = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class EndSerializer(serializers.Serializer):
    duration = serializers.IntegerField(min_value=0, max_value=172800)
    sip_code = serializers.IntegerField(min_value=100, max_value=699)
    gateway = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    pdd_ms = serializers.IntegerField(min_value=0, max_value=3_600_000, required=False, default=0)
    ended_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    hangup = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    reason = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


ROUTE = inline_serializer("SwitchRoute", {
    "provider": serializers.IntegerField(), "gateway": serializers.IntegerField(), "uri": serializers.CharField(),
    "cost_rate": serializers.CharField()})
DECISION = inline_serializer("SwitchDecision", {
    "allowed": serializers.BooleanField(), "call_id": serializers.CharField(required=False),
    "routes": serializers.ListField(child=ROUTE, required=False), "dialed": serializers.CharField(required=False),
    "cli": serializers.CharField(required=False), "pai": serializers.CharField(required=False),
    "max_duration": serializers.IntegerField(required=False), "rate": serializers.DictField(required=False),
    "sip_code": serializers.IntegerField(required=False), "reason": serializers.CharField(required=False),
    "reasons": serializers.ListField(child=serializers.CharField(), required=False)})
CALL_STATUS = inline_serializer("SwitchCallStatus", {
    "call_id": serializers.CharField(), "status": serializers.CharField()})
CALL_END = inline_serializer("SwitchCallEnd", {
    "call_id": serializers.CharField(), "status": serializers.CharField(),
    "flagged": serializers.BooleanField(required=False), "customer": serializers.IntegerField(required=False),
    "start_time": serializers.CharField(required=False), "answer_time": serializers.CharField(required=False),
    "end_time": serializers.CharField(required=False), "duration": serializers.IntegerField(required=False),
    "billed_duration": serializers.IntegerField(required=False), "charge": serializers.CharField(required=False),
    "sip_code": serializers.IntegerField(required=False), "gateway": serializers.CharField(required=False)})


class _SwitchView(ServiceAPIView):
    token_scope = SCOPE_SWITCH
    permission_required = {"POST": ("calls.switch_call",)}


class CallAuthorizeView(_SwitchView):
    @extend_schema(request=AuthorizeSerializer, responses=DECISION, summary="Authorize a call (switch)",
                   description="For each new INVITE: the engine's decision, then the live limits (channels and "
                               "CPS of the customer, the ingress route and the SIP user or IP entry), then the "
                               "call's minimum charge held against the customer's credit. Allowed: the routes to "
                               "try in order and `max_duration`; refused: `sip_code` and every reason. A repeat "
                               "for the same call_id within 5 minutes answers the first decision.")
    def post(self, request):
        values = authorize_values(request.data)
        if values is None:
            data = AuthorizeSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = data.validated_data
        return Response(_authorize(values))


def _authorize(values):
    return services.call_authorize(
        call_id=values["call_id"], dialed=values["dialed"], cli=values["cli"], pai=values["pai"] or "",
        source_ip=values["source_ip"], sip_user=values["sip_user"] or "", switch_ip=values["switch_ip"])


def authorize_lean(data):
    """The lean path's authorize (connex.api.lean_view): a body authorize_values takes, or None."""
    values = authorize_values(data)
    if values is None:
        return None
    try:
        return _authorize(values)
    except redis_batch.Stale:
        decide_turn_give_back()  # the request runs again on fresh values: its rerun takes this turn
        raise


class CallAnswerView(_SwitchView):
    @extend_schema(request=AnswerSerializer, responses=CALL_STATUS, summary="Report a call answered (switch)",
                   description="Keeps the call's channels until its max duration plus the margin; `h_entry` and "
                               "`h_id` let staff end it through the switch. Idempotent; an unknown call answers "
                               "`status: unknown`.")
    def post(self, request, call_id):
        data = AnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        return Response(services.call_answer(call_id=call_id, h_entry=values.get("h_entry"),
                                             h_id=values.get("h_id"), gateway=values["gateway"]))


class CallEndView(_SwitchView):
    @extend_schema(request=EndSerializer, responses=CALL_END, summary="Report a call ended (switch)",
                   description="Frees the call's channels and credit and queues its CDR (rated as imported CDRs "
                               "are, debited to the ledger, rolled up); answers the CDR. A repeat answers the same "
                               "CDR and changes nothing. An end for a call never authorized is recorded on Latest "
                               "Calls, flagged, and answered `status: unknown`.")
    def post(self, request, call_id):
        data = EndSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        return Response(services.call_end(call_id=call_id, **values))


class LiveCallsView(ServiceAPIView):
    permission_required = {"GET": ("calls.view_livecall",)}

    @extend_schema(summary="Live calls", parameters=[OpenApiParameter("customer", int, required=False)],
                   description="Calls holding a channel now, oldest first; `?customer=` for one customer.",
                   responses=inline_serializer("LiveCallList", {"results": serializers.ListField(
                       child=serializers.DictField())}))
    def get(self, request):
        from customers.selectors import customers_visible_to

        customer = request.query_params.get("customer")
        if customer not in (None, ""):
            if not customer.isdigit() or int(customer) > 2**62:
                return Response({"customer": ["A customer id (a whole number)."]}, status=400)
            if not customers_visible_to(request.user).filter(pk=int(customer)).exists():
                return Response({"results": []})
            rows = services.live_call_list(customer_id=int(customer))
        else:
            rows = services.live_call_list()
            if not request.user.has_perm("customers.view_all_customers"):
                visible = set(customers_visible_to(request.user).values_list("pk", flat=True))
                rows = [row for row in rows if row["customer"] in visible]
        return Response({"results": [{**row, "started": row["started"].isoformat(),
                                      "answered": row["answered"].isoformat() if row["answered"] else None,
                                      "expires": row["expires"].isoformat()} for row in rows]})


class SwitchSerializer(ServiceModelSerializer):
    class Meta:
        model = Switch
        fields = ["id", "name", "address", "rpc_url", "created", "updated"]
        read_only_fields = ["created", "updated"]


class IpAddressFilter(django_filters.Filter):
    field_class = forms.GenericIPAddressField  # a malformed address is a 400, not a database error


class SwitchApiFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains", help_text="Names containing this text.")
    address = IpAddressFilter(help_text="The switch at this address.")

    class Meta:
        model = Switch
        fields = ["name", "address"]


class SwitchViewSet(ServiceModelViewSet):
    """The Kamailio switches the panel controls: the address each reports as `switch_ip`, and the
    JSON-RPC URL through which staff end live calls."""

    queryset = Switch.objects.all()
    serializer_class = SwitchSerializer
    filterset_class = SwitchApiFilterSet
    save_service = staticmethod(services.switch_save)
    delete_service = staticmethod(services.switch_delete)
