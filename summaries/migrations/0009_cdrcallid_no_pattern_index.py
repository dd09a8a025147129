"""The call_id dedupe table keeps only its primary key B-tree.

Django gives a varchar primary key a second `varchar_pattern_ops` index for LIKE lookups. call_ids
are only ever looked up whole, and every imported CDR paid for that second index (about a third of
the dedupe insert), so it goes.
"""

from django.db import migrations

INDEX = "summaries_cdrcallid_call_id_6e587a3e_like"


class Migration(migrations.Migration):
    dependencies = [("summaries", "0008_cdr_daily_partitions")]

    operations = [
        migrations.RunSQL(
            f"DROP INDEX IF EXISTS {INDEX}",
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON summaries_cdrcallid (call_id varchar_pattern_ops)",
        ),
    ]
