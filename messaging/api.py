from django.core.exceptions import ValidationError
from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from connex.api import ReadOnlyServiceViewSet
from customers.selectors import customers_visible_to

from . import services
from .filtersets import MessageFilterSet
from .models import Message


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = ["id", "created", "channel", "to", "subject", "body", "kind", "state", "attempts",
                  "provider_message_id", "error", "sent_at", "customer", "contact", "broadcast"]


def message_api_list(*, user):
    messages = Message.objects.order_by("-created", "-pk")
    if user.has_perm("customers.view_all_customers"):
        return messages
    # Messages to nobody's customer (staff notices) are shown only to those who see every customer.
    return messages.filter(Q(customer__in=customers_visible_to(user)))


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
