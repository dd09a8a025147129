"""Shared pieces of the REST API."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.permissions import DjangoModelPermissions, IsAdminUser

from connex.api_policy import TokenScope


class ModelPermissions(DjangoModelPermissions):
    """Staff with the model's view/add/change/delete permission, per method (reads need view too)."""

    perms_map = {**DjangoModelPermissions.perms_map, "GET": ["%(app_label)s.view_%(model_name)s"],
                 "HEAD": ["%(app_label)s.view_%(model_name)s"]}


STAFF_MODEL_PERMISSIONS = [IsAdminUser, TokenScope, ModelPermissions]


class CleanedModelSerializer(serializers.ModelSerializer):
    """Runs the model's own rules (full_clean: fields, clean(), constraints) so bad input is a 400 by field."""

    def _checked(self, instance):
        try:
            instance.full_clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        instance.save()
        return instance

    def create(self, validated_data):
        many = {k: validated_data.pop(k) for k in list(validated_data) if self._is_many(k)}
        instance = self._checked(self.Meta.model(**validated_data))
        for name, values in many.items():
            getattr(instance, name).set(values)
        return instance

    def update(self, instance, validated_data):
        many = {k: validated_data.pop(k) for k in list(validated_data) if self._is_many(k)}
        for name, value in validated_data.items():
            setattr(instance, name, value)
        instance = self._checked(instance)
        for name, values in many.items():
            getattr(instance, name).set(values)
        return instance

    def _is_many(self, name):
        field = self.Meta.model._meta.get_field(name)
        return field.many_to_many
