"""Request-wide context: a request id and the audit context (panel access: connex.permissions)."""

import uuid

from pghistory.middleware import HistoryMiddleware

from connex import request_context


class RequestIdMiddleware:
    """Gives every request an id (from X-Request-ID when a proxy set one) and echoes it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming[:64] if incoming else uuid.uuid4().hex
        token = request_context.set_request_id(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            request_context.reset_request_id(token)
        response["X-Request-ID"] = request.request_id
        return response


class AuditContextMiddleware(HistoryMiddleware):
    """Attaches actor and request id to every change the request writes (django-pghistory)."""

    def get_context(self, request):
        context = super().get_context(request)
        context["request_id"] = getattr(request, "request_id", None)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            context["actor"] = user.get_username()
            context["actor_type"] = "staff"
        return context


class StaffTimezoneMiddleware:
    """Shows dates and reads entered times in the signed-in staff member's own timezone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        import zoneinfo

        from django.utils import timezone

        from connex.models import StaffPreference

        user = getattr(request, "user", None)
        zone = None
        if user is not None and user.is_authenticated and user.is_staff and not request.path.startswith("/portal/"):
            name = StaffPreference.objects.filter(user=user).values_list("timezone", flat=True).first()
            if name and name != "UTC":
                try:
                    zone = zoneinfo.ZoneInfo(name)
                except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                    zone = None
        if zone is None:
            return self.get_response(request)
        with timezone.override(zone):
            return self.get_response(request)
