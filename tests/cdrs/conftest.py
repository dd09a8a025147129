import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from rates.decks import rate_deck_import
from summaries.models import PendingRollupHour
from summaries.services import CDR_COLUMNS, cdr_import
from tests.factories import CustomerFactory, IngressRouteFactory
from tests.summaries.helpers import T0, cdr_row, csv_stream

UNPRICED = [name for name in CDR_COLUMNS if name not in ("charge", "billed_duration")]
DAY = T0.date()


def deck(card, text, live_from):
    assert rate_deck_import(card=card, stream=io.BytesIO(text.encode()), live_from=live_from).ok


def rated_calls(customer, durations, *, start=T0, prefix="c", **overrides):
    rows = [cdr_row(customer.pk, f"{prefix}{n}", dialed_number="441234", duration=seconds,
                    start_time=(start + timedelta(minutes=n)).isoformat(),
                    answer_time=(start + timedelta(minutes=n)).isoformat(),
                    end_time=(start + timedelta(minutes=n, seconds=seconds)).isoformat(), **overrides)
            for n, seconds in enumerate(durations)]
    result = cdr_import(stream=csv_stream(rows, columns=UNPRICED))
    assert result.inserted == len(durations), result.rejects
    return result


@pytest.fixture
def priced_day(db):
    """A customer with three calls on T0's day priced at 0.06/min (60 s, 120 s, 7200 s)."""
    customer = CustomerFactory(balance=Decimal("0"), name="Acme")
    route = IngressRouteFactory(customer=customer)
    deck(route.rate_card, "prefix,rate\n44,0.06\n", datetime(2026, 1, 1, tzinfo=UTC))
    rated_calls(customer, [60, 120, 7200])
    PendingRollupHour.objects.all().delete()
    return customer, route
