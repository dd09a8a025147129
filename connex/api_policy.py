"""API policy every endpoint shares, loaded by DRF's settings: default-deny permissions with token
scopes, safe pagination, filters with `updated_since`, and service errors as field errors.

Kept apart from connex/api.py because DRF reads these classes while defining APIView itself.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, pagination, status
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from connex.filters import updated_since_filter

SCOPE_READ, SCOPE_WRITE, SCOPE_SWITCH = "read", "write", "switch"


# Errors --------------------------------------------------------------------------------------

def validation_error_detail(exc: DjangoValidationError):
    """A service's ValidationError as `{field: [messages]}`; errors naming no field go to non_field_errors."""
    if hasattr(exc, "error_dict"):
        return {("non_field_errors" if field == "__all__" else field): messages
                for field, messages in exc.message_dict.items()}
    return {"non_field_errors": exc.messages}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_error_detail(exc))
    elif isinstance(exc, ProtectedError | RestrictedError):
        return Response({"non_field_errors": ["Other records still refer to this one, so it cannot be deleted."]},
                        status=status.HTTP_409_CONFLICT)
    from rest_framework.views import exception_handler as drf_exception_handler

    return drf_exception_handler(exc, context)


# Permissions ---------------------------------------------------------------------------------

def token_scopes(request):
    """The scopes of the API token that authenticated the request, or None for a session."""
    return getattr(request.auth, "scopes", None)


def may_read_switch_secrets(request) -> bool:
    """SIP digests and the like go only to a token with the `switch` scope whose user may read them."""
    scopes = token_scopes(request)
    return scopes is not None and SCOPE_SWITCH in scopes and request.user.has_perm("sipauth.read_sip_secret")


def default_scope(request):
    return SCOPE_READ if request.method in SAFE_METHODS else SCOPE_WRITE


class ApiPermission(BasePermission):
    """Default deny: the view names the permissions and token scope each request needs."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            return False
        required = getattr(view, "required_permissions", None)
        perms = required(request) if required else None
        if perms is None:
            self.message = "This endpoint declares no permission, so it is refused."
            return False
        scopes = token_scopes(request)
        if scopes is not None:
            scope = view.required_scope(request)
            if scope not in scopes:
                self.message = f"This API token lacks the “{scope}” scope."
                return False
        if not user.has_perms(perms):
            self.message = "You do not have permission to perform this action."
            return False
        return True


class TokenScope(BasePermission):
    """For views that list their own permission classes: a token still needs the method's scope."""

    def has_permission(self, request, view):
        scopes = token_scopes(request)
        if scopes is None or default_scope(request) in scopes:
            return True
        self.message = f"This API token lacks the “{default_scope(request)}” scope."
        return False


# Pagination ----------------------------------------------------------------------------------

MAX_LIMIT = 1000
MAX_OFFSET = 2**53  # beyond any table; larger values would overflow PostgreSQL's bigint OFFSET


class Pagination(pagination.LimitOffsetPagination):
    """`?limit=` (default 100, at most MAX_LIMIT) and `?offset=`; a bad value is a 400 naming it."""

    default_limit = 100
    max_limit = MAX_LIMIT

    @staticmethod
    def _parse(request, name, default, maximum):
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise exceptions.ValidationError({name: ["Enter a whole number."]})
        if value < 0:
            raise exceptions.ValidationError({name: ["Enter zero or more."]})
        if value > maximum:
            raise exceptions.ValidationError({name: [f"Enter at most {maximum}."]})
        return value

    def get_limit(self, request):
        limit = self._parse(request, self.limit_query_param, self.default_limit, self.max_limit)
        return limit or self.default_limit

    def get_offset(self, request):
        return self._parse(request, self.offset_query_param, 0, MAX_OFFSET)


# Filters -------------------------------------------------------------------------------------

class FilterBackend(DjangoFilterBackend):
    """django-filter, with `updated_since` added to every list of a model that has `updated`."""

    def get_filterset_class(self, view, queryset=None):
        filterset_class = super().get_filterset_class(view, queryset)
        model = queryset.model if queryset is not None else None
        if model is None or not any(f.name == "updated" for f in model._meta.get_fields()):
            return filterset_class
        if filterset_class is None:
            import django_filters

            class Meta:
                pass

            Meta.model, Meta.fields = model, []
            filterset_class = type(f"{model.__name__}ApiFilterSet", (django_filters.FilterSet,), {"Meta": Meta})
        if "updated_since" in filterset_class.base_filters:
            return filterset_class
        cached = filterset_class.__dict__.get("_with_updated_since")
        if cached is None:
            cached = type(filterset_class.__name__, (filterset_class,), {"updated_since": updated_since_filter()})
            filterset_class._with_updated_since = cached
        return cached
