from dataclasses import dataclass
from datetime import UTC, date

from django.db.models import Q, Sum
from django.utils import timezone

from customers.selectors import visible_through_customer

from .models import Package, PackageSubscription, PackageUsage
from .periods import period_of


def package_list():
    return Package.objects.all()


def package_subscription_api_list(*, user):
    return visible_through_customer(user, PackageSubscription.objects.select_related("package", "did"))


@dataclass
class SubscriptionState:
    subscription: PackageSubscription
    period_start: date
    period_end: date
    active: bool
    free_seconds: int  # allowance of the current period (0 for a recurring charge)
    used_seconds: int

    @property
    def remaining_seconds(self):
        return max(self.free_seconds - self.used_seconds, 0)

    @property
    def remaining_minutes(self):
        return self.remaining_seconds / 60


def package_subscription_states(*, customer, today: date | None = None) -> list[SubscriptionState]:
    """A customer's subscriptions with the current period and the free minutes left in it (the card's
    Packages tab and the portal)."""
    today = today or timezone.now().astimezone(UTC).date()
    subscriptions = list(PackageSubscription.objects.filter(customer=customer).select_related("package", "did")
                         .order_by("-start", "-pk"))
    periods = {s.pk: period_of(s.package, today) for s in subscriptions}
    used = {}
    if subscriptions:
        condition = Q()
        for s in subscriptions:
            condition |= Q(subscription_id=s.pk, period_start=periods[s.pk][0])
        used = dict(PackageUsage.objects.filter(condition).values("subscription_id").annotate(total=Sum("seconds"))
                    .values_list("subscription_id", "total"))
    return [SubscriptionState(s, *periods[s.pk], s.start <= today and (s.end is None or s.end >= today),
                              s.package.free_seconds * s.quantity, used.get(s.pk, 0))
            for s in subscriptions]


def free_minutes_remaining(*, customer, today: date | None = None) -> list[SubscriptionState]:
    """Active free-minutes subscriptions with what is left this period (for the portal)."""
    return [state for state in package_subscription_states(customer=customer, today=today)
            if state.active and state.free_seconds]
