"""Provisioning API for contacts (each contact's email is its portal login)."""

from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from connex.api import ServiceModelViewSet
from customers.api import CustomerOwnedSerializer, owned_by_visible_customers

from . import services
from .models import Contact


class ContactSerializer(CustomerOwnedSerializer):
    password = serializers.CharField(write_only=True, required=False, style={"input_type": "password"},
                                     help_text="Set this portal password (checked against the password rules).")
    auto_password = serializers.BooleanField(write_only=True, required=False, default=False,
                                             help_text="Generate a password and email it to the contact.")
    has_password = serializers.BooleanField(read_only=True)
    service_fields = ("password", "auto_password")

    class Meta:
        model = Contact
        fields = ["id", "customer", "name", "email", "phone", "mobile", "contact_type", "public_notes",
                  "private_notes", "email_verified", "mobile_verified", "portal_admin", "ip_whitelist", "has_password",
                  "last_login", "password", "auto_password", "created", "updated"]
        read_only_fields = ["has_password", "last_login", "created", "updated"]


class PasswordSetSerializer(serializers.Serializer):
    password = serializers.CharField(required=False, style={"input_type": "password"},
                                     help_text="Omit to generate a password and email it to the contact.")


class PasswordSetResultSerializer(serializers.Serializer):
    generated = serializers.BooleanField(help_text="True when a generated password was emailed.")


def contact_api_list(*, user):
    return owned_by_visible_customers(Contact.objects.select_related("customer"), user).order_by("pk")


def _portal_url(request):
    return request.build_absolute_uri(reverse("portal:login")) if request else ""


@contextmanager
def password_errors_on_field():
    """The password rules raise errors naming no field; in the API they belong to `password`."""
    try:
        yield
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise
        raise ValidationError({"password": exc.messages}) from None


class ContactViewSet(ServiceModelViewSet):
    """Contacts of customers. Phone numbers are stored as E.164; changing an email or mobile clears
    its verification."""

    selector = staticmethod(contact_api_list)
    serializer_class = ContactSerializer
    filterset_fields = ["customer", "contact_type", "email"]
    save_service = staticmethod(services.contact_save)
    delete_service = staticmethod(services.contact_delete)
    action_permissions = {"set_password": ("contacts.change_contact",)}

    def _save(self, instance, extras):
        extras["auto_password"] = extras.get("auto_password") or False
        with password_errors_on_field():
            services.contact_save(contact=instance, portal_url=_portal_url(self.request), **extras)
        return instance

    @extend_schema(request=PasswordSetSerializer, responses=PasswordSetResultSerializer,
                   summary="Set or reset a contact's portal password")
    @action(detail=True, methods=["post"], url_path="set-password")
    def set_password(self, request, pk=None):
        contact = self.get_object()
        body = PasswordSetSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with password_errors_on_field():
            generated = services.contact_password_set(contact=contact, password=body.validated_data.get("password"),
                                                      portal_url=_portal_url(request))
        return Response(PasswordSetResultSerializer({"generated": generated}).data)
