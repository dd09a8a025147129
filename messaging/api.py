from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from connex.api import ReadOnlyServiceViewSet
from customers.selectors import visible_through_customer

from . import services
from .filtersets import MessageFilterSet
from .models import Message


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = ["id", "created", "channel", "to", "subject", "body", "kind", "state", "attempts",
                  "provider_message_id", "error", "sent_at", "customer", "contact", "broadcast"]


def message_api_list(*, user):
    # As in the panel's outbox: messages to no customer stay visible to everyone who sees the outbox.
    return visible_through_customer(user, Message.objects.order_by("-created", "-pk"), optional=True)


class MessageViewSet(ReadOnlyServiceViewSet):
    """The outbox: every email and SMS the panel sent or tried to send."""

    selector = staticmethod(message_api_list)
    serializer_class = MessageSerializer
    filterset_class = MessageFilterSet
    action_permissions = {"resend": ("messaging.change_message",)}

    @extend_schema(request=None, responses={200: MessageSerializer, 409: None},
                   summary="Send a failed or unsent message again")
    @action(detail=True, methods=["post"])
    def resend(self, request, pk=None):
        try:
            message = services.message_resend(message=self.get_object())
        except ValidationError as exc:
            return Response({"detail": exc.messages[0]}, status=status.HTTP_409_CONFLICT)
        return Response(MessageSerializer(message).data)
