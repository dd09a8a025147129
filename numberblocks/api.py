"""Number blocks of a customer: list, assign the next free block, release one."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status

from connex.api import ServiceModelViewSet
from customers.models import Customer
from customers.selectors import customers_visible_to

from . import services
from .models import NumberBlock


class NumberBlockSerializer(serializers.ModelSerializer):
    size = serializers.IntegerField(read_only=True)

    class Meta:
        model = NumberBlock
        fields = ["id", "customer", "start", "end", "size", "created", "updated"]
        read_only_fields = fields


CUSTOMER_PARAMETER = OpenApiParameter("customer_pk", int, OpenApiParameter.PATH, description="The customer's id.")


@extend_schema_view(
    list=extend_schema(parameters=[CUSTOMER_PARAMETER], summary="The customer's number blocks"),
    retrieve=extend_schema(parameters=[CUSTOMER_PARAMETER]),
    create=extend_schema(parameters=[CUSTOMER_PARAMETER], request=None, responses={201: NumberBlockSerializer},
                         summary="Assign the next free block",
                         description="The lowest free aligned block of Settings → Options' number range and "
                                     "block size. No body."),
    destroy=extend_schema(parameters=[CUSTOMER_PARAMETER], summary="Release a block",
                          description="Refused (400) while any number inside it is in use."),
)
class NumberBlockViewSet(ServiceModelViewSet):
    """Ranges of internal numbers (extensions) held by a customer."""

    serializer_class = NumberBlockSerializer
    http_method_names = ["get", "post", "delete", "head", "options"]
    delete_service = staticmethod(services.block_release)
    service_instance_kwarg = "block"

    def get_customer(self) -> Customer:
        return get_object_or_404(customers_visible_to(self.request.user), pk=self.kwargs["customer_pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return NumberBlock.objects.none()
        return NumberBlock.objects.filter(customer=self.get_customer()).order_by("start")

    def create(self, request, *args, **kwargs):
        return self.respond(services.block_assign_next(customer=self.get_customer()), status.HTTP_201_CREATED)
