from .models import Message


def message_list(*, customer=None):
    queryset = Message.objects.select_related("customer", "contact", "broadcast")
    return queryset.filter(customer=customer) if customer is not None else queryset


def failed_messages_health():
    """Messages that failed in the last day: shown to staff, never a reason to call the system down
    (a mistyped address fails too)."""
    from datetime import timedelta

    from django.utils import timezone

    from connex.health import Health

    failed = Message.objects.filter(state=Message.State.FAILED, updated__gte=timezone.now() - timedelta(days=1))
    count = failed.count()
    details = [f"{m.updated:%Y-%m-%d %H:%M} {m.get_channel_display()} to {m.to}: {m.error[:120]}"
               for m in failed.order_by("-updated")[:10]]
    return Health(True, f"{count} failed", count, details=details)
