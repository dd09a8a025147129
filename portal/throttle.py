"""Throttling of failed portal sign-ins, keyed by the email typed and the client address.

django-axes is built around Django's `authenticate()` and user model (its handlers, backend and
lockout responses all assume a Django user); contacts are not Django users, so a small
throttle over the portal's own audit events fits better: failures are counted in
PortalEvent rows, which every worker shares and which survive restarts.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import PortalEvent


def failure_limit():
    return getattr(settings, "PORTAL_LOGIN_FAILURE_LIMIT", 5)


def lockout_window():
    return timedelta(seconds=getattr(settings, "PORTAL_LOGIN_LOCKOUT_SECONDS", 900))


@dataclass(frozen=True)
class ThrottleState:
    failures: int
    retry_after: timedelta | None

    @property
    def locked(self):
        return self.retry_after is not None


def throttle_state(*, email, ip, now=None) -> ThrottleState:
    """Failures since the window opened and since the last success; locked once they reach the limit."""
    now = now or timezone.now()
    email = (email or "").strip().lower()
    since = now - lockout_window()
    events = PortalEvent.objects.filter(email=email, ip=ip)
    last_success = events.filter(kind=PortalEvent.Kind.LOGIN, created__gte=since).values_list(
        "created", flat=True).order_by("-created").first()
    if last_success:
        since = last_success
    failures = list(events.filter(kind=PortalEvent.Kind.LOGIN_FAILED, created__gt=since)
                    .order_by("-created").values_list("created", flat=True)[: failure_limit()])
    if len(failures) < failure_limit():
        return ThrottleState(len(failures), None)
    # Locked until the oldest of the last `limit` failures leaves the window.
    return ThrottleState(len(failures), failures[-1] + lockout_window() - now)
