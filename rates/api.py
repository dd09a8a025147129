import io

from django.db import transaction
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import parsers, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from connex.api_policy import TokenScope

from .decks import DeckError, rate_deck_import
from .models import RateCard, RateRevision
from .selectors import rate_lookup


class ModelPermissions(permissions.DjangoModelPermissions):
    """Staff with the model's Django permission for the method, reads included (view_…)."""

    perms_map = {**permissions.DjangoModelPermissions.perms_map,
                 "GET": ["%(app_label)s.view_%(model_name)s"], "HEAD": ["%(app_label)s.view_%(model_name)s"]}


class CsvParser(parsers.BaseParser):
    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        return io.BytesIO(stream.read())


class RateRevisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = RateRevision
        fields = ["id", "live_from", "row_count", "source", "created"]


class RateCardSerializer(serializers.ModelSerializer):
    live_revision = serializers.SerializerMethodField()

    class Meta:
        model = RateCard
        fields = ["id", "name", "kind", "direction", "currency", "precision", "rounding", "live_revision",
                  "created", "updated"]

    def validate_name(self, value):
        value = value.strip()
        others = RateCard.objects.filter(name__iexact=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError("A rate card with this name already exists.")
        return value

    def validate_currency(self, value):
        if self.instance is not None and value != self.instance.currency and self.instance.revisions.exists():
            raise serializers.ValidationError("The currency cannot change once the card has revisions.")
        return value

    def get_live_revision(self, card) -> int | None:
        from .decks import revision_live

        revision = revision_live(card.pk)
        return revision.pk if revision else None


class DeckErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text="Row in the CSV; the header is row 1.")
    prefix = serializers.CharField(allow_null=True)
    reason = serializers.CharField()


class DeckResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    added = serializers.IntegerField()
    changed = serializers.IntegerField()
    removed = serializers.IntegerField()
    error_count = serializers.IntegerField()
    errors = DeckErrorSerializer(many=True)
    revision = serializers.IntegerField(allow_null=True)


class RateMatchSerializer(serializers.Serializer):
    revision = serializers.IntegerField(source="revision_id")
    prefix = serializers.CharField()
    name = serializers.CharField()
    rate = serializers.DecimalField(max_digits=14, decimal_places=6)
    connect_fee = serializers.DecimalField(max_digits=14, decimal_places=6)
    mcd = serializers.IntegerField()
    pulse = serializers.IntegerField()
    grace = serializers.IntegerField()
    blocked = serializers.BooleanField()


class UploadRateDeck(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perm("rates.upload_rate_deck")


class RateCardViewSet(viewsets.ModelViewSet):
    """Rate cards; a deck posted to /revisions/ becomes a new revision, all rows or none."""

    queryset = RateCard.objects.order_by("pk")
    serializer_class = RateCardSerializer
    permission_classes = [permissions.IsAdminUser, TokenScope, ModelPermissions]

    def perform_destroy(self, instance):
        from django.db.models import ProtectedError

        try:
            with transaction.atomic():
                instance.delete()
        except ProtectedError as exc:
            raise serializers.ValidationError({"detail": "The card prices routes or rated calls; it cannot be "
                                                         "deleted."}) from exc

    @extend_schema(
        request={"text/csv": {"type": "string"}},
        parameters=[OpenApiParameter("live_from", OpenApiTypes.DATETIME, description="Default: now.")],
        responses={201: DeckResultSerializer, 400: DeckResultSerializer},
    )
    @action(detail=True, methods=["post"], url_path="revisions", parser_classes=[CsvParser],
            permission_classes=[permissions.IsAdminUser, TokenScope, UploadRateDeck])
    def revisions(self, request, pk=None):
        card = self.get_object()
        if not isinstance(request.data, io.BytesIO):
            return Response({"detail": "Send the deck as a CSV body (Content-Type: text/csv)."},
                            status=status.HTTP_400_BAD_REQUEST)
        live_from = None
        if raw := request.query_params.get("live_from"):
            live_from = parse_datetime(raw)
            if live_from is None or live_from.tzinfo is None:
                return Response({"live_from": "An ISO 8601 time with Z or an offset."},
                                status=status.HTTP_400_BAD_REQUEST)
        try:
            result = rate_deck_import(card=card, stream=request.data, live_from=live_from, source="API",
                                      user=request.user)
        except DeckError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(result.as_dict(), status=status.HTTP_201_CREATED if result.ok else status.HTTP_400_BAD_REQUEST)

    @extend_schema(
        parameters=[OpenApiParameter("number", OpenApiTypes.STR, required=True, description="E.164 digits."),
                    OpenApiParameter("at", OpenApiTypes.DATETIME, description="Call start; default now.")],
        responses={200: RateMatchSerializer},
    )
    @action(detail=True, methods=["get"])
    def rate(self, request, pk=None):
        card = self.get_object()
        number = request.query_params.get("number", "").strip().lstrip("+")
        if not number.isdigit() or len(number) > 32:
            return Response({"number": "Give the number as digits."}, status=status.HTTP_400_BAD_REQUEST)
        at = None
        if raw := request.query_params.get("at"):
            at = parse_datetime(raw)
            if at is None or at.tzinfo is None:
                return Response({"at": "An ISO 8601 time with Z or an offset."}, status=status.HTTP_400_BAD_REQUEST)
        match = rate_lookup(card_id=card.pk, number=number, at=at)
        if match.revision_id is None:
            return Response({"detail": "The card has no revision live at that time."}, status=status.HTTP_404_NOT_FOUND)
        if not match.found:
            return Response({"detail": f"No row of the card prices {number}."}, status=status.HTTP_404_NOT_FOUND)
        return Response({"number": number, **RateMatchSerializer(match).data})
