"""Reads for the portal dashboard: what a contact comes to see, in a fixed handful of queries."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.apps import apps
from django.db.models import Q

ZERO = Decimal("0")


def usage_figures(*, customer, now=None) -> dict:
    """Spend and minutes today and this month (UTC days, as billed), and 30 days of daily usage."""
    DailySummary = apps.get_model("summaries", "DailySummary")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    month = today.replace(day=1)
    first = min(month, today - timedelta(days=29))
    rows = {row["day"].astimezone(UTC): row for row in DailySummary.objects.filter(
        customer=customer, day__gte=first, day__lte=today).values("day", "charge", "duration")}
    days = [today - timedelta(days=offset) for offset in range(29, -1, -1)]

    def total(since, field):
        return sum((row[field] for day, row in rows.items() if day >= since), ZERO if field == "charge" else 0)

    return {
        "today_spend": total(today, "charge"), "today_minutes": Decimal(total(today, "duration")) / 60,
        "month_spend": total(month, "charge"), "month_minutes": Decimal(total(month, "duration")) / 60,
        "chart": {"labels": [f"{day:%d %b}" for day in days],
                  "minutes": [round(rows[day]["duration"] / 60, 1) if day in rows else 0 for day in days],
                  "spend": [float(rows[day]["charge"]) if day in rows else 0 for day in days]},
    }


def latest_invoices(*, customer, limit=5):
    Invoice = apps.get_model("invoicing", "Invoice")
    return list(Invoice.objects.filter(customer=customer).exclude(status=Invoice.Status.DRAFT)
                .order_by("-period_start", "-pk")[:limit])


def next_steps(*, customer, contact, verification_pending) -> list[dict]:
    """What the contact should do next, most urgent first: each with a reason and where to do it."""
    steps = []
    if verification_pending:
        steps.append({"key": "verify", "icon": "shield-exclamation", "url_name": "portal:verify",
                      "text": f"You need to verify your {' and '.join(verification_pending)}: calls are refused until you do."})
    Invoice = apps.get_model("invoicing", "Invoice")
    unpaid = Invoice.objects.filter(customer=customer, status__in=[Invoice.Status.ISSUED, Invoice.Status.PARTLY_PAID])
    overdue = unpaid.filter(due_date__lt=datetime.now(UTC).date()).count()
    if customer.available_credit <= 0 or overdue:
        why = (f"{overdue} invoice{'s are' if overdue != 1 else ' is'} overdue" if overdue
               else "your credit is used up, so new calls are refused")
        steps.append({"key": "pay", "icon": "credit-card", "url_name": "invoicing_portal:payment_list"
                      if customer.shows_in_portal("payments") else "portal:dashboard",
                      "text": f"Make a payment: {why}."})
    if customer.approved_clis_only and not customer.approved_clis.filter(
            Q(approved_at__isnull=False) & Q(revoked_at__isnull=True)).exists():
        steps.append({"key": "cli", "icon": "telephone-plus", "url_name": "portal:clis",
                      "text": "Add a caller ID: only approved numbers may call, and you have none yet."})
    return steps


def rate_decks(*, customer, query="", limit=200) -> list[dict]:
    """The customer's live rate decks (one per card its ingress routes use), rows filtered by prefix.

    A query of digits lists the rows whose prefix starts with it and also names the row that
    prices that number (the longest matching prefix), as the rating engine would.
    """
    from rates.decks import revision_live
    from rates.models import RateCard
    from rates.selectors import rate_lookup, rate_row_list

    cards = RateCard.objects.filter(ingress_routes__customer=customer).distinct().order_by("name")
    decks = []
    digits = query.lstrip("+").replace(" ", "")
    for card in cards:
        revision = revision_live(card.pk)
        if revision is None:
            continue
        rows = rate_row_list(revision=revision, filters={"q": query} if query else None)
        match = rate_lookup(card_id=card.pk, number=digits) if digits.isdigit() else None
        total = rows.count() if limit else None
        decks.append({"card": card, "revision": revision, "rows": rows[:limit] if limit else rows.iterator(),
                      "total": total, "match": match if match and match.found else None})
    return decks
