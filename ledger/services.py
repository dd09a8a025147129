"""The balance ledger: the one place a customer's balance moves.

Every movement goes through `ledger_post` (one entry) or `ledger_post_staged` (many, set-based, from
rows a caller put into the `ledger_pending` temporary table). Both end in `_apply`, which in one
transaction appends the entries, moves the `Customer.balance` cache by the same sums and adds call
charges to the per-customer-day spend. Customers are locked in id order first, so concurrent
postings (imports, payments, recalcs) serialise per customer and cannot deadlock.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from .models import LedgerEntry

ENTRY_TABLE = LedgerEntry._meta.db_table

_PENDING_DDL = """
CREATE TEMP TABLE IF NOT EXISTS ledger_pending (
  customer_id bigint NOT NULL, kind text NOT NULL, amount numeric NOT NULL, day date, calls bigint NOT NULL DEFAULT 0,
  description text NOT NULL DEFAULT '', source_type_id int, source_id bigint, posted_at timestamptz
) ON COMMIT DELETE ROWS
"""

_APPLY_SQL = f"""
WITH entries AS (
  INSERT INTO {ENTRY_TABLE} (customer_id, kind, amount, posted_at, description, calls, source_type_id, source_id)
  SELECT customer_id, kind, sum(amount), coalesce(posted_at, now()), description, sum(calls), source_type_id, source_id
  FROM ledger_pending
  GROUP BY customer_id, kind, posted_at, description, source_type_id, source_id
  HAVING sum(amount) <> 0
  ORDER BY customer_id
  RETURNING id
), balances AS (
  UPDATE customers_customer c SET balance = c.balance + p.amount
  FROM (SELECT customer_id, sum(amount) AS amount FROM ledger_pending GROUP BY 1) p
  WHERE c.id = p.customer_id AND p.amount <> 0
), spend AS (
  INSERT INTO ledger_dailyspend AS d (customer_id, day, amount, calls)
  SELECT customer_id, day, -sum(amount), sum(calls) FROM ledger_pending WHERE day IS NOT NULL
  GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (customer_id, day) DO UPDATE SET amount = d.amount + EXCLUDED.amount, calls = d.calls + EXCLUDED.calls
)
SELECT array_agg(id ORDER BY id) FROM entries
"""


def ledger_pending_create(cursor):
    """Make (or empty) the temporary table postings are staged in for `ledger_post_staged`."""
    cursor.execute(_PENDING_DDL)
    cursor.execute("DELETE FROM ledger_pending")


def _apply(cursor) -> list[int]:
    from customers.signals import customers_changed

    cursor.execute("SELECT id FROM customers_customer WHERE id IN (SELECT customer_id FROM ledger_pending) "
                   "ORDER BY id FOR NO KEY UPDATE")
    customer_ids = [row[0] for row in cursor.fetchall()]
    cursor.execute(_APPLY_SQL)
    ids = cursor.fetchone()[0] or []
    cursor.execute("DELETE FROM ledger_pending")
    customers_changed.send(sender=LedgerEntry, customer_ids=customer_ids)  # their balances moved
    return ids


@transaction.atomic
def ledger_post_staged(*, cursor) -> list[int]:
    """Post every row staged in ledger_pending: rows of one customer, kind, time, description and
    source become one entry; rows with a `day` count (negated) as that day's call spend."""
    return _apply(cursor)


@dataclass(frozen=True)
class Posting:
    customer_id: int
    amount: Decimal
    kind: str
    description: str = ""
    source: object = None
    day: date | None = None
    calls: int = 0
    posted_at: datetime | None = None


@transaction.atomic
def ledger_post_many(*, postings: list[Posting]) -> list[LedgerEntry]:
    with connection.cursor() as cursor:
        ledger_pending_create(cursor)
        rows = []
        for posting in postings:
            if posting.kind not in LedgerEntry.Kind.values:
                raise ValueError(f"Unknown ledger entry kind {posting.kind!r}.")
            source_type = (ContentType.objects.get_for_model(posting.source).pk
                           if posting.source is not None else None)
            rows.append((posting.customer_id, posting.kind, Decimal(posting.amount), posting.day, posting.calls,
                         posting.description[:200], source_type,
                         posting.source.pk if posting.source is not None else None, posting.posted_at))
        # One statement per posting (they come in ones and twos); executemany would bypass the
        # audit context pghistory attaches to each statement.
        for row in rows:
            cursor.execute("INSERT INTO ledger_pending (customer_id, kind, amount, day, calls, description, "
                           "source_type_id, source_id, posted_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", row)
        ids = _apply(cursor)
    return list(LedgerEntry.objects.filter(pk__in=ids).order_by("pk"))


def ledger_post(*, customer_id: int, amount: Decimal, kind: str, description: str = "", source=None,
                day: date | None = None, calls: int = 0, posted_at: datetime | None = None) -> LedgerEntry | None:
    """Append one entry and move the balance cache with it (None when the amount is zero)."""
    entries = ledger_post_many(postings=[Posting(customer_id, amount, kind, description, source, day, calls,
                                                 posted_at)])
    return entries[0] if entries else None


_CALL_CHARGES_SQL = """
INSERT INTO ledger_pending (customer_id, kind, amount, day, calls, description, source_type_id, source_id)
SELECT customer_id, %(kind)s, -charge, day, calls,
       left(%(description)s || ' of ' || to_char(first_day, 'YYYY-MM-DD')
            || CASE WHEN last_day > first_day THEN ' – ' || to_char(last_day, 'YYYY-MM-DD') ELSE '' END
            || %(source)s, 200),
       %(source_type)s, %(source_id)s
FROM (SELECT *, min(day) OVER w AS first_day, max(day) OVER w AS last_day
      FROM {table} WINDOW w AS (PARTITION BY customer_id)) charges
"""


@transaction.atomic
def ledger_post_call_charges(*, cursor, table: str, description: str = "Call charges", source=None) -> list[int]:
    """Debit call charges from a table of (customer_id, day, charge, calls), one entry per customer.

    Each entry names the days its calls started on and its `source` (e.g. the CDR import), which
    a statement line would not show otherwise: a late file charges today for calls of last week.
    """
    ledger_pending_create(cursor)
    cursor.execute(_CALL_CHARGES_SQL.replace("{table}", table), {
        "kind": LedgerEntry.Kind.CALL_CHARGES, "description": description,
        "source": f", {source}" if source is not None else "",
        "source_type": ContentType.objects.get_for_model(source).pk if source is not None else None,
        "source_id": source.pk if source is not None else None})
    return _apply(cursor)


OPENING_SQL = f"""
INSERT INTO {ENTRY_TABLE} (customer_id, kind, amount, posted_at, description, calls)
SELECT c.id, 'opening', c.balance - coalesce(l.total, 0), %s, %s, 0
FROM customers_customer c
LEFT JOIN (SELECT customer_id, sum(amount) AS total FROM {ENTRY_TABLE} GROUP BY 1) l ON l.customer_id = c.id
WHERE c.balance <> coalesce(l.total, 0) {{only}}
ORDER BY c.id
"""


@transaction.atomic
def ledger_record_opening(*, customer_ids=None, description="Opening balance") -> int:
    """Record balances that predate the ledger (loaded data, a migration) as opening entries.

    The cache already holds these amounts, so this is the one posting that leaves it untouched.
    """
    with connection.cursor() as cursor:
        if customer_ids is not None:
            ids = sorted(customer_ids)
            cursor.execute("SELECT id FROM customers_customer WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE",
                           [ids])
            cursor.execute(OPENING_SQL.replace("{only}", "AND c.id = ANY(%s)"), [timezone.now(), description, ids])
        else:
            cursor.execute("SELECT id FROM customers_customer ORDER BY id FOR NO KEY UPDATE")
            cursor.execute(OPENING_SQL.replace("{only}", ""), [timezone.now(), description])
        return cursor.rowcount


def ledger_differences(customer_ids=None) -> list[dict]:
    """Customers whose cached balance differs from the sum of their ledger entries."""
    only = "AND c.id = ANY(%s)" if customer_ids is not None else ""
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT c.id, c.name, c.balance, coalesce(l.total, 0)
            FROM customers_customer c
            LEFT JOIN (SELECT customer_id, sum(amount) AS total FROM {ENTRY_TABLE} GROUP BY 1) l
              ON l.customer_id = c.id
            WHERE c.balance <> coalesce(l.total, 0) {only}
            ORDER BY c.id""", [list(customer_ids)] if customer_ids is not None else None)
        return [{"customer_id": pk, "name": name, "balance": balance, "expected": expected,
                 "difference": balance - expected} for pk, name, balance, expected in cursor.fetchall()]
