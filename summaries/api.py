import io
from datetime import timedelta

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import parsers, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from connex.api import SCOPE_SWITCH, ReadOnlyServiceViewSet, ServiceAPIView
from connex.filters import SafeIsoDateTimeFilter
from customers.selectors import visible_through_customer

from . import selectors
from .filtersets import CdrImportFilterSet
from .models import CallDetailRecord, CdrCallId, CdrImport
from .services import CDR_COLUMNS, CdrImportError, cdr_import, cdr_import_records

API_WINDOW = timedelta(days=31)
# Without a customer the rows of a window come from every customer and are sorted for each page
# (one customer's come in key order): an hour of traffic, not a month.
API_WINDOW_ALL_CUSTOMERS = timedelta(hours=1)


def cdr_api_window(records, data):
    """Every CDR listing names its days, so PostgreSQL reads only those partitions: a call_id is
    found through its dedupe row (its start_time and id); otherwise start_after is required, and the
    window is at most 31 days for one customer, one hour for all (start_before defaults to that)."""
    if data.get("call_id"):
        found = CdrCallId.objects.filter(call_id=data["call_id"]).values_list("start_time", "cdr_id").first()
        if found is None:
            return records.none(), None
        return records.filter(start_time=found[0], id=found[1]), None
    window, label = ((API_WINDOW, "31 days") if data.get("customer") is not None
                     else (API_WINDOW_ALL_CUSTOMERS, "one hour without customer"))
    low, high = data.get("start_after"), data.get("start_before")
    if low is None:
        return None, {"start_after": [f"Required unless call_id is given: the first start time of the window "
                                      f"(at most {label})."]}
    if high is None:
        return records.filter(start_time__lt=low + window), None
    if high - low > window:
        return None, {"start_before": [f"At most {label} after start_after."]}
    return records, None


class CdrSerializer(serializers.ModelSerializer):
    class Meta:
        model = CallDetailRecord
        fields = ["id", "call_id", "customer", "start_time", "answer_time", "end_time", "duration", "billed_duration",
                  "cli", "dialed_number", "destination", "sip_code", "pdd_ms", "charge", "cost", "rate_card",
                  "rate_revision", "rate_prefix", "rate", "imported_at"]


class CdrFilterSet(django_filters.FilterSet):
    customer = django_filters.NumberFilter(field_name="customer_id")
    call_id = django_filters.CharFilter()
    start_after = SafeIsoDateTimeFilter(field_name="start_time", lookup_expr="gte", label="Started at or after")
    start_before = SafeIsoDateTimeFilter(field_name="start_time", lookup_expr="lt", label="Started before")

    class Meta:
        model = CallDetailRecord
        fields = ["customer", "call_id", "start_after", "start_before"]


class CdrPageSerializer(serializers.Serializer):
    """One page of CDRs as CdrCursorPagination answers it (for the schema)."""

    next = serializers.URLField(allow_null=True, help_text="The next page, or null on the last.")
    previous = serializers.URLField(allow_null=True, help_text="The previous page, or null on the first.")
    results = CdrSerializer(many=True)


class CdrCursorPagination(CursorPagination):
    """Stable pages over a table that only grows: the cursor is a position, not an offset."""

    ordering = ("start_time", "id")
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class CsvParser(parsers.BaseParser):
    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        return io.BytesIO(stream.read())


class RejectSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Row in the CSV (the header is row 1) or index in the array + 2.")
    call_id = serializers.CharField(allow_null=True)
    reason = serializers.CharField()


class ImportResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    inserted = serializers.IntegerField()
    duplicates = serializers.IntegerField(help_text="Valid rows whose call_id was already stored.")
    rejected = serializers.IntegerField()
    charged = serializers.DecimalField(max_digits=24, decimal_places=6)
    rejects = RejectSerializer(many=True)


class CdrImportAPIView(ServiceAPIView):
    """List CDRs (GET, filtered, cursor-paginated), or import them (POST): a CSV body (text/csv,
    header row required) or a JSON array of objects. Rows without a charge are rated."""

    permission_required = {"GET": ("summaries.view_calldetailrecord",),
                           "POST": ("summaries.add_calldetailrecord",)}
    parser_classes = [CsvParser, parsers.JSONParser]

    def required_scope(self, request):
        # Reading is for any `read` token; importing is the switch's (and the carrier's mediation).
        return SCOPE_SWITCH if request.method == "POST" else super().required_scope(request)

    @extend_schema(parameters=[
        OpenApiParameter("customer", OpenApiTypes.INT), OpenApiParameter("call_id", OpenApiTypes.STR),
        OpenApiParameter("start_after", OpenApiTypes.DATETIME,
                         description="Started at or after. Required unless call_id is given."),
        OpenApiParameter("start_before", OpenApiTypes.DATETIME,
                         description="Started before; at most 31 days after start_after with customer, one hour "
                                     "without (the default)."),
        OpenApiParameter("cursor", OpenApiTypes.STR), OpenApiParameter("page_size", OpenApiTypes.INT),
    ], responses={200: CdrPageSerializer, 400: OpenApiTypes.OBJECT})
    def get(self, request):
        visible = visible_through_customer(request.user, CallDetailRecord.objects.all())
        filterset = CdrFilterSet(request.query_params, queryset=visible)
        if not filterset.is_valid():
            return Response(filterset.errors, status=status.HTTP_400_BAD_REQUEST)
        records, errors = cdr_api_window(filterset.qs, filterset.form.cleaned_data)
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        paginator = CdrCursorPagination()
        page = paginator.paginate_queryset(records, request, view=self)
        return paginator.get_paginated_response(CdrSerializer(page, many=True).data)

    @extend_schema(
        request={"text/csv": {"type": "string"},
                 "application/json": {"type": "array", "items": {"type": "object", "properties": {
                     name: {"type": "string"} for name in CDR_COLUMNS}}}},
        responses={200: ImportResultSerializer},
        examples=[OpenApiExample("CSV", media_type="text/csv", request_only=True, value=",".join(CDR_COLUMNS))],
    )
    def post(self, request):
        try:
            if isinstance(request.data, io.BytesIO):
                result = cdr_import(stream=request.data, origin=CdrImport.Origin.API)
            elif isinstance(request.data, list):
                result = cdr_import_records(records=request.data)
            else:
                return Response({"detail": "Send a CSV body (text/csv) or a JSON array of CDR objects."},
                                status=status.HTTP_400_BAD_REQUEST)
        except CdrImportError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(result.as_dict())


class CdrImportSerializer(serializers.ModelSerializer):
    class Meta:
        model = CdrImport
        fields = ["id", "origin", "name", "imported_at", "rows", "inserted", "charged"]
        read_only_fields = fields


def cdr_import_api_list(*, user):
    return selectors.cdr_import_list().order_by("pk")


class CdrImportViewSet(ReadOnlyServiceViewSet):
    """Every CDR import run (a file, a POST to /cdrs, a batch of the switch's calls) and what it stored
    and charged. The call-charges ledger entries it posted name it as their source. Written once:
    read-only here."""

    selector = staticmethod(cdr_import_api_list)
    serializer_class = CdrImportSerializer
    filterset_class = CdrImportFilterSet
