"""Demo rated calls for `manage.py seed_demo`: a day of CDRs arriving without charges, priced by
each customer's ingress route through the real import."""

import csv
import io
from datetime import UTC, datetime


def load_demo_rated_calls(stdout):
    from customers.models import Customer
    from summaries.demo import demo_cdr_rows
    from summaries.models import CdrImport
    from summaries.services import CDR_COLUMNS, cdr_import, summary_rollup_pending

    from .models import IngressRoute

    customers = list(Customer.objects.filter(status="active", ingress_routes__isnull=False).distinct()
                     .order_by("pk")[:8])
    if not customers or not IngressRoute.objects.exists():
        stdout.write("Rated calls: no routed customers.")
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = [name for name in CDR_COLUMNS if name not in ("charge", "billed_duration")]
    writer.writerow(columns)
    now = datetime.now(UTC)
    for row in demo_cdr_rows(customers, days=1, calls_per_day=40, now=now, seed=13):
        values = dict(zip(CDR_COLUMNS, row, strict=True))
        values["call_id"] = f"rated-{values['call_id']}"
        writer.writerow([values[name] for name in columns])
    # As mediation would send them: unpriced rows posted to the CDR API, rated on the way in.
    result = cdr_import(stream=io.BytesIO(buffer.getvalue().encode()), origin=CdrImport.Origin.API)
    summary_rollup_pending()
    stdout.write(f"Rated calls: {result.inserted} CDRs priced by their routes, {result.rejected} refused "
                 f"(blocked or unpriced destinations), {result.duplicates} already present.")
