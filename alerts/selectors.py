"""Reads of alerts: every alert's current value in one set-based query, and the card's lists."""

from datetime import UTC, datetime
from decimal import Decimal

from django.db import connection

from .models import Alert, AlertEvent, Area

# One pass over every enabled alert (or those of some customers). Each area reads its source with
# an index probe per alert inside the same statement: the balance from the customer row, the UTC
# day's spend from ledger.DailySpend, ASR/ACD/PDD from the hourly summaries of the sample period
# (skipped below the minimum of attempts), channels in use from the live figures passed in.
VALUES_SQL = """
SELECT a.id, a.customer_id, a.state, a.operator, a.threshold,
       COALESCE(a.reset_threshold, a.threshold) AS reset_level,
       a.repeat_minutes, a.fired_at, a.last_sent_at, a.penalty_applied,
       CASE a.area
         WHEN 'balance' THEN c.balance
         WHEN 'daily_spend' THEN COALESCE(ds.amount, 0)
         WHEN 'channels' THEN COALESCE(ch.in_use, 0)
         WHEN 'asr' THEN CASE WHEN hs.attempts >= GREATEST(a.min_attempts, 1)
                              THEN round(hs.answered * 100.0 / hs.attempts, 6) END
         WHEN 'acd' THEN CASE WHEN hs.attempts >= GREATEST(a.min_attempts, 1) AND hs.answered > 0
                              THEN round(hs.duration::numeric / hs.answered, 6) END
         WHEN 'pdd' THEN CASE WHEN hs.attempts >= GREATEST(a.min_attempts, 1)
                              THEN round(hs.pdd_ms_total::numeric / hs.attempts / 1000, 6) END
       END AS value
FROM alerts_alert a
JOIN customers_customer c ON c.id = a.customer_id
LEFT JOIN ledger_dailyspend ds ON a.area = 'daily_spend' AND ds.customer_id = a.customer_id AND ds.day = %(today)s
LEFT JOIN unnest(%(channel_customers)s::bigint[], %(channel_counts)s::bigint[]) AS ch(customer_id, in_use)
       ON a.area = 'channels' AND ch.customer_id = a.customer_id
LEFT JOIN LATERAL (
    SELECT sum(h.attempts) AS attempts, sum(h.answered) AS answered, sum(h.duration) AS duration,
           sum(h.pdd_ms_total) AS pdd_ms_total
    FROM summaries_hourlysummary h
    WHERE a.area IN ('asr', 'acd', 'pdd') AND h.customer_id = a.customer_id
      AND h.hour >= %(hour)s - (a.sample_hours - 1) * interval '1 hour'
) hs ON true
WHERE {where}
"""


def _hour(now):
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def channels_in_use(customer_ids) -> dict[int, int]:
    """Live channels of the customers, from the switch's live state (one Redis round trip)."""
    from calls.live import live_channels_in_use_many, scope_key

    ids = list(customer_ids)
    if not ids:
        return {}
    counts = live_channels_in_use_many([scope_key("customer", pk) for pk in ids])
    return dict(zip(ids, counts, strict=True))


def channel_alert_customers(*, customer_ids=None, enabled_only=True) -> list[int]:
    queryset = Alert.objects.filter(area=Area.CHANNELS)
    if enabled_only:
        queryset = queryset.filter(enabled=True)
    if customer_ids is not None:
        queryset = queryset.filter(customer_id__in=customer_ids)
    return list(queryset.order_by().values_list("customer_id", flat=True).distinct())


def values_query(*, now: datetime, customer_ids=None, channels: dict | None = None, enabled_only=True):
    """(sql, params) of the value pass; `channels` = {customer_id: channels in use}."""
    channels = channels or {}
    params = {"today": now.astimezone(UTC).date(), "hour": _hour(now),
              "channel_customers": list(channels), "channel_counts": list(channels.values())}
    where = ["a.enabled"] if enabled_only else ["true"]
    if customer_ids is not None:
        where.append("a.customer_id = ANY(%(customer_ids)s)")
        params["customer_ids"] = list(customer_ids)
    return VALUES_SQL.format(where=" AND ".join(where)), params


def alert_values(*, customer_ids=None, now: datetime | None = None, enabled_only=True) -> dict[int, Decimal | None]:
    """{alert id: current value} of the alerts (None: not judged, e.g. too few attempts)."""
    from django.utils import timezone

    now = now or timezone.now()
    channels = channels_in_use(channel_alert_customers(customer_ids=customer_ids, enabled_only=enabled_only))
    sql, params = values_query(now=now, customer_ids=customer_ids, channels=channels, enabled_only=enabled_only)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, value FROM ({sql}) v", params)
        return dict(cursor.fetchall())


def alert_list(*, customer):
    return Alert.objects.filter(customer=customer).order_by("title")


def alert_event_list(*, customer, limit=50):
    return AlertEvent.objects.filter(customer=customer).select_related("alert")[:limit]


def alert_api_list(*, user):
    from customers.api import owned_by_visible_customers

    return owned_by_visible_customers(Alert.objects.order_by("pk"), user)
