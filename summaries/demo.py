"""Demo CDRs for `manage.py seed_demo`: 30 days of traffic per customer, through the real import."""

import csv
import io
import math
import random
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

# (destination, dialed prefix, rate per minute, cost per minute, ASR, mean talk seconds)
DESTINATIONS = [
    ("United States - Fixed", "1212555", "0.0080", "0.0045", 0.62, 170),
    ("United States - Mobile", "1415555", "0.0090", "0.0050", 0.58, 140),
    ("United Kingdom - Fixed", "44207946", "0.0120", "0.0070", 0.55, 190),
    ("United Kingdom - Mobile", "447700900", "0.0310", "0.0220", 0.50, 120),
    ("Germany - Mobile", "4915112", "0.0420", "0.0300", 0.48, 110),
    ("France - Fixed", "33142", "0.0150", "0.0095", 0.52, 160),
    ("India - Mobile", "9198765", "0.0095", "0.0071", 0.41, 95),
    ("Nigeria - Mobile", "234803", "0.1350", "0.1100", 0.35, 80),
]
FAIL_CODES = [486, 486, 480, 487, 404, 503, 603]
# Relative traffic per UTC hour: quiet nights, busy working hours.
HOUR_WEIGHT = [0.15, 0.1, 0.08, 0.08, 0.1, 0.2, 0.4, 0.7, 1.0, 1.2, 1.3, 1.3,
               1.2, 1.25, 1.3, 1.25, 1.1, 0.9, 0.7, 0.55, 0.45, 0.35, 0.25, 0.2]
SIX = Decimal("0.000001")


def demo_cdr_rows(customers, *, days=30, calls_per_day=60, now=None, seed=6):
    """Yield CSV rows of plausible CDRs for the customers over the last `days` days."""
    rng = random.Random(seed)
    now = (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
    first = now - timedelta(days=days)
    total_weight = sum(HOUR_WEIGHT)
    for customer in customers:
        volume = calls_per_day * rng.choice([0.3, 0.6, 1, 1, 1.5, 2.5])
        mix = rng.sample(DESTINATIONS, k=rng.randint(3, len(DESTINATIONS)))
        serial = 0
        hour = first
        while hour < now:
            expected = volume * HOUR_WEIGHT[hour.hour] / total_weight * (0.6 if hour.weekday() >= 5 else 1)
            for _ in range(_poisson(rng, expected)):
                serial += 1
                name, prefix, rate, cost, asr, talk = rng.choice(mix)
                start = hour + timedelta(seconds=rng.randrange(3600))
                pdd = int(rng.gauss(2200, 700)) if rng.random() > 0.02 else rng.randint(6000, 12000)
                pdd = max(pdd, 300)
                answered = rng.random() < asr
                if answered:
                    answer = start + timedelta(milliseconds=pdd)
                    duration = max(1, int(rng.expovariate(1 / talk)))
                    end = answer + timedelta(seconds=duration)
                    billed = math.ceil(duration / 6) * 6
                    code = 200
                else:
                    answer, duration, billed = None, 0, 0
                    end = start + timedelta(milliseconds=pdd + rng.randint(0, 20000))
                    code = rng.choice(FAIL_CODES)
                minutes = Decimal(billed) / 60
                yield [f"demo-{customer.pk}-{serial:07d}", customer.pk, start.isoformat(),
                       answer.isoformat() if answer else "", end.isoformat(), duration, billed,
                       f"+{rng.randint(10**10, 10**11 - 1)}", f"+{prefix}{rng.randint(1000, 9999)}", name, code,
                       pdd, (minutes * Decimal(rate)).quantize(SIX, ROUND_HALF_UP),
                       (minutes * Decimal(cost)).quantize(SIX, ROUND_HALF_UP)]
            hour += timedelta(hours=1)


def _poisson(rng, mean):
    # Knuth's method; the means here are small.
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def load_demo_cdrs(stdout):
    from customers.models import Customer

    from .services import CDR_COLUMNS, cdr_import, summary_rollup_pending

    customers = list(Customer.objects.exclude(status=Customer.Status.PENDING_APPROVAL).order_by("pk"))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CDR_COLUMNS)
    writer.writerows(demo_cdr_rows(customers))
    result = cdr_import(stream=io.BytesIO(buffer.getvalue().encode()), name="demo-cdrs-30-days.csv")
    hours = summary_rollup_pending()
    stdout.write(f"summaries: {result.inserted} CDRs imported ({result.duplicates} already there), "
                 f"{hours} hours rolled up")
