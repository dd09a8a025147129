from django.core.exceptions import ValidationError
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import services
from .filtersets import MessageFilterSet
from .models import Message


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = ["id", "created", "channel", "to", "subject", "body", "kind", "state", "attempts",
                  "provider_message_id", "error", "sent_at", "customer", "contact", "broadcast"]


class MessageViewSet(viewsets.ReadOnlyModelViewSet):
    """The outbox: every email and SMS the panel sent or tried to send."""

    queryset = Message.objects.order_by("-created")
    serializer_class = MessageSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = MessageFilterSet

    @action(detail=True, methods=["post"])
    def resend(self, request, pk=None):
        try:
            message = services.message_resend(message=self.get_object())
        except ValidationError as exc:
            return Response({"detail": exc.messages[0]}, status=status.HTTP_409_CONFLICT)
        return Response(MessageSerializer(message).data)
