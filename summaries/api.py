import io

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import parsers, serializers, status
from rest_framework.response import Response

from connex.api import SCOPE_SWITCH, ServiceAPIView

from .services import CDR_COLUMNS, CdrImportError, cdr_import, cdr_import_records


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
    """Import CDRs: a CSV body (text/csv, header row required) or a JSON array of objects."""

    permission_required = {"POST": ("summaries.add_calldetailrecord",)}
    token_scope = SCOPE_SWITCH

    parser_classes = [CsvParser, parsers.JSONParser]

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
                result = cdr_import(stream=request.data)
            elif isinstance(request.data, list):
                result = cdr_import_records(records=request.data)
            else:
                return Response({"detail": "Send a CSV body (text/csv) or a JSON array of CDR objects."},
                                status=status.HTTP_400_BAD_REQUEST)
        except CdrImportError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(result.as_dict())
