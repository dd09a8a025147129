from django.db import migrations

STATEMENT_VIEW = """
CREATE OR REPLACE VIEW ledger_statement AS
SELECT id, customer_id, kind, amount, posted_at, description, calls, source_type_id, source_id,
       sum(amount) OVER (PARTITION BY customer_id ORDER BY posted_at, id) AS running_balance
FROM ledger_ledgerentry
"""

# Balances that predate the ledger become one opening entry each, so cache and ledger agree.
OPENING_ENTRIES = """
INSERT INTO ledger_ledgerentry (customer_id, kind, amount, posted_at, description, calls)
SELECT id, 'opening', balance, now(), 'Opening balance', 0 FROM customers_customer WHERE balance <> 0 ORDER BY id
"""

# The per-day spend starts from the CDRs already stored; from here on postings keep it.
DAY_SPEND = """
INSERT INTO ledger_dailyspend (customer_id, day, amount, calls)
SELECT customer_id, (start_time AT TIME ZONE 'UTC')::date, sum(charge), count(*)
FROM summaries_calldetailrecord GROUP BY 1, 2
"""


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0001_ledger"),
        ("summaries", "0004_custom_permissions"),
    ]

    operations = [
        migrations.RunSQL(STATEMENT_VIEW, "DROP VIEW IF EXISTS ledger_statement"),
        migrations.RunSQL(OPENING_ENTRIES, migrations.RunSQL.noop),
        migrations.RunSQL(DAY_SPEND, migrations.RunSQL.noop),
    ]
