"""Packages: the catalogue, subscriptions, the periodic charge run and free minutes at rating.

Charges: `package_charges_due` lists what a subscription owes up to a day (the "Run package"
preview shows it); `package_charge_run` writes those charges with INSERT … ON CONFLICT DO NOTHING
on (subscription, kind, period) and posts to the ledger only the rows it inserted, in the same
transaction, so overlapping runs charge each period exactly once.

Free minutes: `free_minutes_apply_import` runs inside the CDR import (connex.registry rating hook)
on the CDRs the import just rated. Each call is matched to one free-minutes subscription of its
customer (a DID's own package first, then the oldest; one with minutes left in the period before
one without), whose period is the call's; calls use the period's seconds in start-time order, the
rest of the call is charged at its rate (the connect fee only when something is paid). The seconds
used are recorded per call_id (unique), so a retried import never uses them twice, and a recalc
re-applies exactly what was recorded (`free_minutes_apply_recalc`).
"""

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError, Sum
from django.utils import timezone

from routing.rating import _ROUNDED

from .models import Package, PackageCharge, PackageSubscription, PackageUsage
from .periods import period_end, period_of

logger = logging.getLogger(__name__)

ZERO = Decimal("0")


# Catalogue and subscriptions -------------------------------------------------------------------

@transaction.atomic
def package_save(*, package: Package) -> Package:
    package.full_clean()
    try:
        with transaction.atomic():
            package.save()
    except IntegrityError:
        raise ValidationError({"name": ["A package with this name already exists."]}) from None
    return package


@transaction.atomic
def package_delete(*, package: Package) -> None:
    try:
        package.delete()
    except ProtectedError:
        raise ValidationError("Customers subscribe to this package; end their subscriptions first.") from None


@transaction.atomic
def package_subscription_save(*, package_subscription: PackageSubscription) -> PackageSubscription:
    subscription = package_subscription
    subscription.full_clean()
    if subscription.pk:
        charged = PackageCharge.objects.filter(subscription=subscription).order_by("-period_start").first()
        previous = PackageSubscription.objects.get(pk=subscription.pk)
        if charged and (previous.package_id != subscription.package_id or previous.start != subscription.start
                        or previous.quantity != subscription.quantity):
            raise ValidationError("Package, start and quantity cannot change once a period was charged; end this "
                                  "subscription and start a new one.")
    subscription.save()
    return subscription


@transaction.atomic
def package_subscription_delete(*, package_subscription: PackageSubscription) -> None:
    try:
        package_subscription.delete()
    except ProtectedError:
        raise ValidationError("Periods of this subscription were charged: set an end date instead.") from None


# Charges -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DueCharge:
    kind: str
    period_start: date
    period_end: date
    amount: Decimal
    cost: Decimal
    description: str


def _spend(customer_id, start: date, end: date) -> Decimal:
    from ledger.models import DailySpend

    return DailySpend.objects.filter(customer_id=customer_id, day__gte=start, day__lt=end).aggregate(
        total=Sum("amount"))["total"] or ZERO


def package_charges_due(*, subscription: PackageSubscription, today: date | None = None,
                        include_charged=False) -> list[DueCharge]:
    """What the subscription owes up to `today` (UTC) that was not charged yet: each period that
    has started (in advance), the setup fee with the first, and minimum-spend shortfalls of
    finished periods."""
    today = today or timezone.now().astimezone(UTC).date()
    package = subscription.package
    quantity = subscription.quantity
    done = set() if include_charged else set(
        PackageCharge.objects.filter(subscription=subscription).values_list("kind", "period_start"))
    due = []
    start, end = period_of(package, subscription.start)
    first = True
    last_day = subscription.end
    while start <= today and (last_day is None or start <= last_day):
        label = f"{package} × {quantity}" if quantity != 1 else str(package)
        span = f"{start:%Y-%m-%d} to {end - timedelta(days=1):%Y-%m-%d}"
        if first and package.setup_retail and (PackageCharge.Kind.SETUP, start) not in done:
            due.append(DueCharge(PackageCharge.Kind.SETUP, start, end, package.setup_retail * quantity,
                                 package.setup_cost * quantity, f"{label}: setup"))
        if package.retail and (PackageCharge.Kind.RECURRING, start) not in done:
            due.append(DueCharge(PackageCharge.Kind.RECURRING, start, end, package.retail * quantity,
                                 package.cost * quantity, f"{label}: {span}"))
        if package.minimum_spend and end <= today and (PackageCharge.Kind.SHORTFALL, start) not in done:
            shortfall = package.minimum_spend * quantity - _spend(subscription.customer_id, start, end)
            if shortfall > 0:
                due.append(DueCharge(PackageCharge.Kind.SHORTFALL, start, end, shortfall, ZERO,
                                     f"{label}: minimum spend shortfall {span}"))
        first = False
        start, end = end, period_end(package.frequency, package.day_of_month, end)
    return due


def package_next_charge(*, subscription: PackageSubscription, today: date | None = None) -> DueCharge | None:
    """"Run package": the next charge the subscription will get (due now, or at its next period)."""
    today = today or timezone.now().astimezone(UTC).date()
    due = package_charges_due(subscription=subscription, today=today)
    if due:
        return due[0]
    package = subscription.package
    start, _ = period_of(package, today)
    horizon = period_end(package.frequency, package.day_of_month, start)
    later = [c for c in package_charges_due(subscription=subscription, today=horizon)
             if c.kind != PackageCharge.Kind.SHORTFALL]
    return later[0] if later else None


_INSERT_CHARGES = """
INSERT INTO packages_packagecharge (subscription_id, customer_id, kind, period_start, period_end, amount, cost,
                                    description, debited, created)
SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::date[], %s::date[], %s::numeric[],
                     %s::numeric[], %s::text[], %s::boolean[], %s::timestamptz[])
ON CONFLICT (subscription_id, kind, period_start) DO NOTHING
RETURNING id
"""


def package_charge_run(*, today: date | None = None, subscription_ids=None) -> int:
    """Charge every started period not charged yet, exactly once; returns the charges written."""
    today = today or timezone.now().astimezone(UTC).date()
    subscriptions = PackageSubscription.objects.select_related("package").filter(start__lte=today)
    if subscription_ids is not None:
        subscriptions = subscriptions.filter(pk__in=subscription_ids)
    written = 0
    for subscription in subscriptions.order_by("pk").iterator(chunk_size=500):
        try:
            written += _package_charge_subscription(subscription, today=today)
        except Exception:
            # One subscription that cannot be charged must not hold back every one after it, run
            # after run; its periods stay uncharged, so the next run tries it again.
            logger.exception("Package subscription %s could not be charged", subscription.pk)
    return written


def _package_charge_subscription(subscription, *, today) -> int:
    from ledger.models import LedgerEntry
    from ledger.services import Posting, ledger_post_many

    due = package_charges_due(subscription=subscription, today=today)
    if not due:
        return 0
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        columns = list(zip(*[(subscription.pk, subscription.customer_id, c.kind, c.period_start, c.period_end,
                              c.amount, c.cost, c.description, subscription.auto_decrement, now) for c in due],
                           strict=True))
        cursor.execute(_INSERT_CHARGES, [list(column) for column in columns])
        ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return 0  # another run charged these periods
        charges = list(PackageCharge.objects.filter(pk__in=ids).order_by("period_start", "kind"))
        if subscription.auto_decrement:
            ledger_post_many(postings=[Posting(charge.customer_id, -charge.amount, LedgerEntry.Kind.PACKAGE_FEE,
                                               charge.description, source=charge) for charge in charges])
        return len(charges)


# Invoices ----------------------------------------------------------------------------------------

def package_invoice_lines(customer, start: datetime, end: datetime):
    """Package fees of periods starting in [start, end): lines of the customer's invoice."""
    low, high = start.astimezone(UTC).date(), end.astimezone(UTC).date()
    if end.astimezone(UTC).time() != datetime.min.time():
        high += timedelta(days=1)
    charges = PackageCharge.objects.filter(customer=customer, period_start__gte=low, period_start__lt=high)
    return [(charge.description, ZERO, charge.amount) for charge in charges.order_by("period_start", "pk")]


# Free minutes at rating ------------------------------------------------------------------------

_CANDIDATES = """
CREATE TEMP TABLE pkg_calls ON COMMIT DROP AS
SELECT c.call_id, c.start_time, c.billed_duration AS billed, c.charge AS old_charge, c.rate, rr.connect_fee,
       card.precision, card.rounding, s.subscription_id, s.period_start, s.allowance
FROM cdr_new_charges n
JOIN summaries_calldetailrecord c
  ON c.customer_id = n.customer_id AND c.imported_at = now()
 AND c.start_time >= (n.day::timestamp AT TIME ZONE 'UTC') AND c.start_time < ((n.day + 1)::timestamp AT TIME ZONE 'UTC')
JOIN rates_raterow rr ON rr.revision_id = c.rate_revision_id AND rr.prefix = c.rate_prefix
JOIN rates_ratecard card ON card.id = c.rate_card_id
JOIN LATERAL (
  SELECT x.id AS subscription_id, t.period_start, p.free_minutes * 60 * x.quantity AS allowance
  FROM packages_packagesubscription x
  JOIN packages_package p ON p.id = x.package_id
  LEFT JOIN dids_did d ON d.id = x.did_id
  CROSS JOIN LATERAL (SELECT cx_package_period_start(p.frequency, p.day_of_month,
                                                     (c.start_time AT TIME ZONE 'UTC')::date) AS period_start) t
  WHERE x.customer_id = c.customer_id AND p.kind = 'free_minutes'
    AND x.start <= (c.start_time AT TIME ZONE 'UTC')::date
    AND (x."end" IS NULL OR x."end" >= (c.start_time AT TIME ZONE 'UTC')::date)
    AND (x.did_id IS NULL OR d.number = ltrim(c.dialed_number, '+'))
    AND (p.destination_pattern = '' OR ltrim(c.dialed_number, '+') ~ p.destination_pattern)
  ORDER BY (SELECT coalesce(sum(u.seconds), 0) FROM packages_packageusage u
            WHERE u.subscription_id = x.id AND u.period_start = t.period_start) >= p.free_minutes * 60 * x.quantity,
           x.did_id IS NULL, x.id
  LIMIT 1
) s ON true
WHERE n.customer_id IN (SELECT x.customer_id FROM packages_packagesubscription x
                        JOIN packages_package p ON p.id = x.package_id WHERE p.kind = 'free_minutes')
  AND c.billed_duration > 0 AND c.charge > 0 AND c.rate_revision_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM packages_packageusage u WHERE u.call_id = c.call_id)
"""

_APPLY = f"""
WITH used AS (
  SELECT u.subscription_id, u.period_start, sum(u.seconds) AS used
  FROM packages_packageusage u
  WHERE (u.subscription_id, u.period_start) IN (SELECT DISTINCT subscription_id, period_start FROM pkg_calls)
  GROUP BY 1, 2
), ranked AS (
  SELECT k.*, sum(k.billed) OVER (PARTITION BY k.subscription_id, k.period_start
                                  ORDER BY k.start_time, k.call_id) - k.billed AS before
  FROM pkg_calls k
), free AS (
  SELECT r.*, greatest(0, least(r.billed, r.allowance - coalesce(u.used, 0) - r.before))::int AS free
  FROM ranked r LEFT JOIN used u USING (subscription_id, period_start)
), q AS (
  SELECT f.*, f.billed - f.free AS paid, f.connect_fee + f.rate * (f.billed - f.free) / 60.0 AS exact
  FROM free f WHERE f.free > 0
), inserted AS (
  INSERT INTO packages_packageusage (call_id, subscription_id, period_start, seconds, saved, created)
  SELECT q.call_id, q.subscription_id, q.period_start, q.free,
         q.old_charge - CASE WHEN q.paid = 0 THEN 0 ELSE {_ROUNDED} END, now()
  FROM q
  ON CONFLICT (call_id) DO NOTHING
  RETURNING call_id, saved
), updated AS (
  UPDATE summaries_calldetailrecord c SET charge = c.charge - i.saved
  FROM inserted i WHERE c.call_id = i.call_id
  RETURNING c.customer_id, (c.start_time AT TIME ZONE 'UTC')::date AS day, i.saved
), sums AS (
  SELECT customer_id, day, sum(saved) AS saved FROM updated GROUP BY 1, 2
), adjusted AS (
  UPDATE cdr_new_charges n SET charge = n.charge - s.saved FROM sums s
  WHERE n.customer_id = s.customer_id AND n.day = s.day
)
SELECT coalesce(sum(saved), 0) FROM sums
"""


def free_minutes_apply_import(cursor) -> Decimal:
    """Take free minutes off the CDRs this import rated (see the module doc); returns the charge removed."""
    cursor.execute("SELECT EXISTS (SELECT 1 FROM cdr_new_charges n JOIN packages_packagesubscription x "
                   "ON x.customer_id = n.customer_id JOIN packages_package p ON p.id = x.package_id "
                   "WHERE p.kind = 'free_minutes')")
    if not cursor.fetchone()[0]:
        return ZERO  # the usual import: nobody in it has free minutes, no temporary table made
    cursor.execute("DROP TABLE IF EXISTS pkg_calls")
    cursor.execute(_CANDIDATES)
    if not cursor.rowcount:
        return ZERO
    # One import at a time per subscription, so two never share out the same minutes.
    cursor.execute("SELECT id FROM packages_packagesubscription WHERE id IN (SELECT subscription_id FROM pkg_calls) "
                   "ORDER BY id FOR NO KEY UPDATE")
    cursor.execute(_APPLY)
    return Decimal(cursor.fetchone()[0])


_RECALC = f"""
UPDATE recalc_rows r SET rated_charge = CASE WHEN q.paid = 0 THEN 0 ELSE {_ROUNDED} END
FROM (
  SELECT r2.id, r2.rated_billed - least(u.seconds, r2.rated_billed) AS paid, card.precision, card.rounding,
         rr.connect_fee + r2.rate * (r2.rated_billed - least(u.seconds, r2.rated_billed)) / 60.0 AS exact
  FROM recalc_rows r2
  JOIN packages_packageusage u ON u.call_id = r2.call_id
  JOIN rates_raterow rr ON rr.revision_id = r2.rate_revision_id AND rr.prefix = r2.rate_prefix
  JOIN rates_ratecard card ON card.id = r2.rate_card_id
  WHERE r2.rating_problem IS NULL AND r2.rated_billed > 0
) q
WHERE r.id = q.id
"""


def free_minutes_apply_recalc(cursor) -> Decimal:
    """A re-rated call keeps the free seconds it used (capped at its new billed time): never used twice."""
    cursor.execute(_RECALC)
    return ZERO


def free_minutes_used(*, subscription, period_start_day: date) -> int:
    return PackageUsage.objects.filter(subscription=subscription, period_start=period_start_day).aggregate(
        total=Sum("seconds"))["total"] or 0

