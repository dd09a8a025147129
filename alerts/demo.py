"""Demo alerts for `manage.py seed_demo` (idempotent): a default low-balance alert for every customer,
and a few alerts of other areas; the periodic evaluation fires them within a minute."""

from decimal import Decimal

from django.db import transaction

from connex.audit import system_context
from customers.models import Customer

from .models import Alert, AlertOptions, Area, Operator
from .services import alert_save, default_alerts_sync

DEMO_ALERTS = [
    ("ASR drop", Area.ASR, Operator.BELOW, Decimal("35"), Decimal("45"), 60),
    ("Daily spend high", Area.DAILY_SPEND, Operator.ABOVE, Decimal("500"), None, 0),
    ("Long PDD", Area.PDD, Operator.ABOVE, Decimal("4"), Decimal("3"), 0),
    ("Channels nearly full", Area.CHANNELS, Operator.ABOVE, Decimal("40"), Decimal("30"), 30),
]


@transaction.atomic
def load_demo_alerts(stdout):
    with system_context(task_id="seed_demo"):
        options = AlertOptions.get()
        if not options.low_balance_enabled:
            options.low_balance_enabled, options.low_balance_reset = True, Decimal("20")
            options.save()
        default_alerts_sync()
        customers = list(Customer.objects.order_by("pk")[:8])
        made = 0
        for index, customer in enumerate(customers):
            title, area, operator, threshold, reset, repeat = DEMO_ALERTS[index % len(DEMO_ALERTS)]
            if customer.alerts.filter(title__iexact=title).exists():
                continue
            alert_save(alert=Alert(customer=customer, title=title, area=area, operator=operator, threshold=threshold,
                                   reset_threshold=reset, repeat_minutes=repeat, penalty=index == 1,
                                   recipients=[f"noc+{customer.pk}@example.com"]))
            made += 1
    stdout.write(f"Alerts: a default low-balance alert for every customer, {made} more.\n")
