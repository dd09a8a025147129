"""The base of every REST endpoint: default-deny permissions, token scopes, writes through services.

An endpoint is declared, not written. A resource backed by a model:

    class SipUserViewSet(ServiceModelViewSet):
        '''SIP registration accounts.'''                     # becomes the schema's description
        selector = staticmethod(selectors.sip_user_api_list)  # (*, user) -> QuerySet the user may see
        serializer_class = SipUserSerializer                 # a ServiceModelSerializer
        filterset_class = SipUserApiFilterSet                # optional; `updated_since` is always added
        save_service = staticmethod(services.sip_user_save)  # create and update
        delete_service = staticmethod(services.sip_user_delete)

and one line in the app's `api_urls.py`: `router.register("sip-users", SipUserViewSet)` (an app
with a new `api_urls` module is added to API_APPS in connex/urls.py).

Objects owned by a customer: the selector filters with `customers.api.owned_by_visible_customers`
(every read of customers goes through `customers_visible_to`), and the serializer subclasses
`customers.api.CustomerOwnedSerializer`, which offers only visible customers and fixes `customer`
once the object exists. Leave out operations with `http_method_names` (a 405, also in the schema).

What the base does with that:
- Permissions (ApiPermission, default deny). The caller must be an active staff user holding the
  model permission of the action — list/retrieve `view_`, create `add_`, update `change_`,
  destroy `delete_` — plus any listed for the action in `action_permissions`. A custom
  `@action` is refused unless `action_permissions` names what it needs. A view that declares
  nothing is refused. A caller authenticated by an API token also needs the token's scope:
  `read` for safe methods, `write` for the others, or what `token_scope` / `action_scopes` say
  (`switch` for the endpoints switches call).
- Writes. The serializer validates field types; `save_service` receives the unsaved instance
  under the model's name in snake case (`sip_user=`; `service_instance_kwarg` when the service
  names it otherwise), plus the serializer's `service_fields` (write-only
  inputs such as `password` or `tags`) and `user=` when it accepts it, and does the rest
  exactly as the panel does. Services whose shape differs override `create_instance`,
  `update_instance` or `destroy_instance`. A Django ValidationError from a service answers
  `400 {field: [messages]}` (`non_field_errors` when it names no field).
- Audit. Changes made through a token are recorded with the token's user as actor (and the
  token's prefix as `api_token`); panel sessions keep the middleware's actor.
- Secrets. `may_read_switch_secrets(request)` says whether an answer may carry SIP digests: only
  for a `switch` token whose user holds `sipauth.read_sip_secret`.
- Lists are paginated (`limit`/`offset`, at most MAX_LIMIT rows) and filtered with
  django-filter; every list accepts `?updated_since=<ISO 8601>`.

Views that are not model resources (lookups, imports) subclass ServiceAPIView and declare
`permission_required = {"GET": ("app.perm",)}` and `token_scope`.
"""

import inspect
import re

import orjson
import pghistory
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from connex import redis_batch
from connex.api_policy import (  # noqa: F401 - re-exported: endpoints import everything from here
    MAX_LIMIT,
    SCOPE_READ,
    SCOPE_SWITCH,
    SCOPE_WRITE,
    ApiPermission,
    FilterBackend,
    Pagination,
    default_scope,
    may_read_switch_secrets,
    token_scopes,
    validation_error_detail,
)

STANDARD_ACTIONS = {"list": "view", "retrieve": "view", "create": "add", "update": "change",
                    "partial_update": "change", "destroy": "delete"}


class AuditedApiMixin:
    """Records the token's user as the actor of every change the request writes."""

    token_scope = None  # one scope for every method of the view (e.g. "switch")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        token = request.auth
        if token is not None and request.user.is_authenticated:
            # Updates the request's audit context (opened by the middleware for writes); the
            # middleware ran before DRF authenticated the token, so it could not name the actor.
            pghistory.context(actor=request.user.get_username(), actor_type="staff",
                              api_token=str(getattr(token, "prefix", "")))


# Serializers ---------------------------------------------------------------------------------

class ServiceModelSerializer(serializers.ModelSerializer):
    """Validates field types only; the service applies the rules (it owns them) and saves.

    `service_fields` are write-only inputs passed to the service as keywords instead of being set
    on the instance (a password, tag names).
    """

    service_fields: tuple = ()

    def split(self):
        data = dict(self.validated_data)
        extras = {name: data.pop(name) for name in self.service_fields if name in data}
        return data, extras

    def validate(self, attrs):
        # The model's validators and clean() run inside the service; ModelSerializer's own
        # unique-together checks would only report the same thing worse.
        return attrs

    def get_validators(self):
        return []


# Views ---------------------------------------------------------------------------------------

def _call(service, request, **kwargs):
    if "user" in inspect.signature(service).parameters:
        kwargs["user"] = request.user
    return service(**kwargs)


class ServiceAPIView(AuditedApiMixin, APIView):
    """A non-model endpoint: `permission_required = {"GET": ("app.perm", ...)}`; a method not listed is refused."""

    permission_required: dict = {}

    def required_permissions(self, request):
        if not hasattr(self, request.method.lower()):
            return ()  # dispatch answers 405 for a method the view does not offer
        perms = self.permission_required.get(request.method)
        if perms is None and request.method == "HEAD":
            perms = self.permission_required.get("GET")
        if perms is None and request.method == "OPTIONS" and self.permission_required:
            # Describing an endpoint needs what using it needs (its first declared method).
            perms = next(iter(self.permission_required.values()))
        return None if perms is None else tuple(perms)

    def required_scope(self, request):
        return self.token_scope or default_scope(request)


class ServiceViewSetMixin(AuditedApiMixin):
    selector = None  # callable(*, user) -> QuerySet of what the user may see
    permission_model = None  # defaults to the serializer's model
    action_permissions: dict = {}  # action -> extra permissions ("invoicing.record_payment",)
    action_scopes: dict = {}  # action -> token scope, overriding read/write by method
    save_service = None  # callable(*, <model_name>=unsaved instance, **service_fields[, user])
    delete_service = None  # callable(*, <model_name>=instance[, user])
    service_instance_kwarg = None  # the services' keyword for the instance when not the model's name
    pagination_class = Pagination
    filter_backends = [FilterBackend]

    def get_queryset(self):
        if self.selector is not None:
            return self.selector(user=self.request.user)
        return super().get_queryset()

    def get_permission_model(self):
        return self.permission_model or self.get_serializer_class().Meta.model

    def required_permissions(self, request):
        if request.method.lower() not in self.http_method_names:
            return ()  # dispatch answers 405
        action = self.action
        if action is None:  # method not allowed on this route: let DRF answer 405
            action = "metadata" if request.method == "OPTIONS" else None
        model = self.get_permission_model()
        extra = tuple(self.action_permissions.get(action, ()))
        verb = STANDARD_ACTIONS.get(action) or ("view" if action == "metadata" else None)
        if verb is None:
            if action is None:
                return ()  # dispatch answers 405 for a method the route lacks
            return extra or None
        return (f"{model._meta.app_label}.{verb}_{model._meta.model_name}", *extra)

    def required_scope(self, request):
        return self.action_scopes.get(self.action) or self.token_scope or default_scope(request)

    def service_kwarg_name(self):
        # customer_save(customer=...), sip_user_save(sip_user=...): the model's name in snake case.
        if self.service_instance_kwarg:
            return self.service_instance_kwarg
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.get_permission_model().__name__).lower()

    # Writes through services.

    def create_instance(self, serializer):
        data, extras = serializer.split()
        model = self.get_permission_model()
        m2m = {name: data.pop(name) for name in list(data) if model._meta.get_field(name).many_to_many}
        instance = model(**data)
        return self._save(instance, {**extras, **m2m})

    def update_instance(self, serializer, instance):
        data, extras = serializer.split()
        model = self.get_permission_model()
        m2m = {name: data.pop(name) for name in list(data) if model._meta.get_field(name).many_to_many}
        for name, value in data.items():
            setattr(instance, name, value)
        return self._save(instance, {**extras, **m2m})

    def _save(self, instance, extras):
        if self.save_service is None:
            raise exceptions.MethodNotAllowed(self.request.method)
        return _call(self.save_service, self.request, **{self.service_kwarg_name(): instance}, **extras)

    def destroy_instance(self, instance):
        if self.delete_service is None:
            raise exceptions.MethodNotAllowed(self.request.method)
        _call(self.delete_service, self.request, **{self.service_kwarg_name(): instance})

    def respond(self, instance, status_code=status.HTTP_200_OK):
        # Re-read with the selector's joins; an object the caller just moved out of their sight
        # (a customer given to another account manager) is answered as saved.
        instance = self.get_queryset().filter(pk=instance.pk).first() or instance
        return Response(self.get_serializer(instance).data, status=status_code)


class ServiceModelViewSet(ServiceViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          viewsets.GenericViewSet):
    """List, retrieve, create, update (PUT/PATCH) and delete; writes through the services.

    Leave out an operation with `http_method_names` (e.g. no "delete").
    """

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self.respond(self.create_instance(serializer), status.HTTP_201_CREATED)

    def update(self, request, *args, partial=False, **kwargs):
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return self.respond(self.update_instance(serializer, instance))

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        self.destroy_instance(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReadOnlyServiceViewSet(ServiceViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                             viewsets.GenericViewSet):
    """List and retrieve only (custom actions may still write, with their declared permissions)."""


# The switch's hot path ------------------------------------------------------------------------

def lean_view(view_class, handle, prefetch=None):
    """`view_class` (a ServiceAPIView) with a lean path in front of it for its common case.

    REST framework's request wrapper, negotiation, parsers and renderers cost more than a switch's
    whole call. For a request with an API token, JSON in and JSON accepted, the lean path runs the
    same authentication (ApiTokenAuthentication) and the same permission check (ApiPermission with
    the view's declared `permission_required` and `token_scope`: default deny), sets the audit actor
    as the view does, parses the body with orjson and calls `handle(data)`. Anything else — no token
    or a session, a refused token or permission, another method or content type, a body `handle`
    does not take (it answers None) — goes to the view itself, which authenticates, checks, validates
    and words the answer as usual. The view stays the one the schema documents.

    `prefetch(data)`, when given, runs before authentication with the parsed body: it reads ahead, in
    one Redis round trip, values the request will need (connex.redis_batch.prefetch), the token's
    version among them, or takes them as this thread read them last (prefetch_assumed: the handler
    checks them before it writes anything, and raises redis_batch.Stale when one changed; the request
    then runs once more after `prefetch(data, fresh=True)` reads them). What it read is dropped when
    the request ends.
    """
    from apitokens.authentication import ApiTokenAuthentication

    full = view_class.as_view()
    declared = view_class()  # asked for the permissions and scope the view requires
    authentication = ApiTokenAuthentication()
    allow = ", ".join(declared.allowed_methods)

    def lean(request, data, args, kwargs):
        """The handler's answer, or None for the view to answer."""
        try:
            authenticated = authentication.authenticate(request)
        except exceptions.AuthenticationFailed:
            authenticated = None
        if authenticated is None:
            return None
        request.user, request.auth = authenticated
        if not ApiPermission().has_permission(request, declared):
            return None
        pghistory.context(actor=request.user.get_username(), actor_type="staff",
                          api_token=str(getattr(request.auth, "prefix", "")))
        return handle(data, *args, **kwargs) if data is not None else None

    def view(request, *args, **kwargs):
        if (request.method != "POST" or request.content_type != "application/json"
                or request.META.get("HTTP_ACCEPT", "*/*") not in ("*/*", "application/json")):
            return full(request, *args, **kwargs)
        try:
            data = orjson.loads(request.body)
        except orjson.JSONDecodeError:
            data = None
        try:
            if prefetch is not None and data is not None and "HTTP_AUTHORIZATION" in request.META:
                prefetch(data)
            try:
                answer = lean(request, data, args, kwargs)
            except redis_batch.Stale:
                # A value taken as read before had changed; nothing was written. Again, read now.
                redis_batch.prefetch_clear()
                prefetch(data, fresh=True)
                answer = lean(request, data, args, kwargs)
        finally:
            redis_batch.prefetch_clear()
        if answer is None:
            return full(request, *args, **kwargs)
        response = HttpResponse(orjson.dumps(answer), content_type="application/json")
        response["Vary"] = "Accept"
        response["Allow"] = allow
        return response

    view.cls, view.initkwargs = full.cls, full.initkwargs  # REST framework's view, for the schema and access
    view.__name__ = view.__qualname__ = view_class.__name__
    view.__doc__ = view_class.__doc__
    return csrf_exempt(view)
