"""Recalc of one customer's UTC day: re-rate its CDRs with the live cards (optionally after giving
long calls a new duration) or bring the ledger back in line with them, as one adjustment.

Preview and apply run the same statement; apply keeps its result, so what the preview showed is
what the ledger gets (unless CDRs changed in between, in which case apply reports the new figures).
Issued invoices are never touched: apply lists those whose periods include the day.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection, transaction

from .rating import rating_lateral

RERATE, ADJUST_DURATION = "rerate", "adjust_duration"
REFRESH_CREDIT, REFRESH_ALL = "refresh_credit", "refresh_summaries_and_credit"


CHANGES_SHOWN = 50


@dataclass(frozen=True)
class RecalcChange:
    """One call the recalc changes, before and after."""

    call_id: str
    start_time: datetime
    dialed_number: str
    old_charge: Decimal
    new_charge: Decimal
    old_duration: int
    new_duration: int
    old_billed: int
    new_billed: int


@dataclass
class RecalcResult:
    calls: int = 0
    delta: Decimal = Decimal("0")  # change of the customer's balance (negative: more charged)
    changes: list = field(default_factory=list)  # the first CHANGES_SHOWN of the `calls`, by start time
    unpriced: list = field(default_factory=list)  # [(call_id, reason)] left as they were
    invoices: list = field(default_factory=list)  # issued invoice numbers whose period holds the day
    entry: object = None  # the ledger adjustment posted by apply (None when the delta is zero)

    @property
    def changes_not_shown(self) -> int:
        return self.calls - len(self.changes)


_CANDIDATES = """
CREATE TEMP TABLE recalc_rows ON COMMIT DROP AS
SELECT c.id, c.call_id, c.start_time, c.dialed_number, c.old_charge, c.old_billed, c.old_duration,
       c.duration AS new_duration, rating.rated_billed, rating.rated_charge, rating.rate_card_id,
       rating.rate_revision_id, rating.rate_prefix, rating.rate, rating.rating_problem
FROM (SELECT id, call_id, customer_id, dialed_number, start_time, answer_time,
             CASE WHEN %(adjust)s AND answer_time IS NOT NULL AND duration > %(longer_than)s
                  THEN %(new_duration)s ELSE duration END AS duration,
             NULL::numeric AS charge, '' AS reason, charge AS old_charge, billed_duration AS old_billed,
             duration AS old_duration
      FROM summaries_calldetailrecord
      WHERE customer_id = %(customer)s AND start_time >= %(low)s AND start_time < %(high)s) c
{lateral}
"""

# The calls a recalc changes: counted, summed, listed and written by this one condition, so the
# preview's list, count and delta are what apply does.
_CHANGED = ("rating_problem IS NULL AND (rated_charge, rated_billed, new_duration) "
            "IS DISTINCT FROM (old_charge, old_billed, old_duration)")


def _day_bounds(day: date):
    low = datetime.combine(day, time.min, tzinfo=UTC)
    return low, low + timedelta(days=1)


def _run(cursor, *, customer_id, day, mode, longer_than, new_duration):
    low, high = _day_bounds(day)
    # A batch job over a day: every customer's routes are read once (see routing.rating).
    sql = _CANDIDATES.replace("{lateral}", rating_lateral("c", routes_once=True))
    cursor.execute("DROP TABLE IF EXISTS recalc_rows")
    cursor.execute(sql, {"adjust": mode == ADJUST_DURATION, "longer_than": longer_than or 0,
                         "new_duration": new_duration or 0, "customer": customer_id, "low": low, "high": high})


def cdr_recalc(*, customer_id: int, day: date, mode: str, longer_than: int | None = None,
               new_duration: int | None = None, apply: bool = False, source=None) -> RecalcResult:
    """Preview (apply=False) or apply a recalc of the customer's CDRs that started on `day` (UTC).

    `source` (e.g. the RecalcJob that asked for it) is recorded on the ledger adjustment."""
    from ledger.models import DailySpend, LedgerEntry
    from ledger.services import ledger_post
    from summaries.partitions import cdr_days_check

    if mode not in (RERATE, ADJUST_DURATION, REFRESH_CREDIT, REFRESH_ALL):
        raise ValueError(f"Unknown recalc mode {mode!r}.")
    cdr_days_check(start=day)  # CdrDaysGone (a ValidationError) when the day's raw CDRs were removed
    result = RecalcResult()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SELECT id FROM customers_customer WHERE id = %s FOR NO KEY UPDATE", [customer_id])
        low, high = _day_bounds(day)
        if mode in (REFRESH_CREDIT, REFRESH_ALL):
            cursor.execute("SELECT count(*), coalesce(sum(charge), 0) FROM summaries_calldetailrecord "
                           "WHERE customer_id = %s AND start_time >= %s AND start_time < %s", [customer_id, low, high])
            calls, charged = cursor.fetchone()
            spent = DailySpend.objects.filter(customer_id=customer_id, day=day).values_list("amount", flat=True).first()
            result.calls, result.delta = calls, (spent or Decimal("0")) - charged
        else:
            _run(cursor, customer_id=customer_id, day=day, mode=mode, longer_than=longer_than,
                 new_duration=new_duration)
            from connex.registry import registry

            for hook in registry.rating_hooks["recalc"]:  # e.g. free minutes already used by these calls
                hook(cursor)
            cursor.execute(f"SELECT count(*) FILTER (WHERE {_CHANGED}), "
                           "coalesce(sum(old_charge - rated_charge) FILTER (WHERE rating_problem IS NULL), 0) "
                           "FROM recalc_rows")
            result.calls, result.delta = cursor.fetchone()
            cursor.execute("SELECT call_id, start_time, dialed_number, old_charge, rated_charge, old_duration, "
                           f"new_duration, old_billed, rated_billed FROM recalc_rows WHERE {_CHANGED} "
                           f"ORDER BY start_time, id LIMIT {CHANGES_SHOWN}")
            result.changes = [RecalcChange(*row) for row in cursor.fetchall()]
            cursor.execute("SELECT call_id, rating_problem FROM recalc_rows WHERE rating_problem IS NOT NULL "
                           "ORDER BY call_id LIMIT 100")
            result.unpriced = list(cursor.fetchall())
        cursor.execute("SELECT number FROM invoicing_invoice WHERE customer_id = %s AND status <> 'draft' "
                       "AND status <> 'void' AND period_start < %s AND period_end > %s ORDER BY number",
                       [customer_id, high, low])
        result.invoices = [number for (number,) in cursor.fetchall()]
        if not apply:
            transaction.set_rollback(True)
            return result
        if mode in (RERATE, ADJUST_DURATION):
            cursor.execute("""
                UPDATE summaries_calldetailrecord c SET charge = r.rated_charge, billed_duration = r.rated_billed,
                       duration = r.new_duration,
                       end_time = CASE WHEN c.answer_time IS NOT NULL AND r.new_duration <> c.duration
                                       THEN c.answer_time + make_interval(secs => r.new_duration) ELSE c.end_time END,
                       rate_card_id = r.rate_card_id, rate_revision_id = r.rate_revision_id,
                       rate_prefix = r.rate_prefix, rate = r.rate
                FROM recalc_rows r WHERE c.id = r.id AND r.rating_problem IS NULL
                  AND c.customer_id = %(customer)s AND c.start_time >= %(low)s AND c.start_time < %(high)s""",
                {"customer": customer_id, "low": low, "high": high})
        if mode != REFRESH_CREDIT:
            cursor.execute("INSERT INTO summaries_pendingrolluphour (hour) SELECT generate_series(%s::timestamptz, "
                           "%s::timestamptz, interval '1 hour') ORDER BY 1 ON CONFLICT (hour) DO UPDATE SET marked = now()",
                           [low, high - timedelta(hours=1)])
        if result.delta:
            result.entry = ledger_post(
                customer_id=customer_id, amount=result.delta, kind=LedgerEntry.Kind.ADJUSTMENT, day=day, source=source,
                description=f"Recalc {mode.replace('_', ' ')} of {day:%Y-%m-%d} ({result.calls} calls)")
    return result
