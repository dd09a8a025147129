import django.db.models.deletion
from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models

# Every allowed call writes an attempt and a live-call row; these indexes cost an entry each and serve
# nothing hot. Live calls: the call id's pattern-ops twin (nothing searches call ids by pattern), the
# customer's and the expiry's (the table holds calls in progress, read whole after a Redis restart and
# by the hourly purge). Attempts: the user's, replaced by one holding only the staff simulations that
# name a user (a user's deletion still finds them by index). Only the indexes change: AlterField's own
# SQL would also drop and re-validate the foreign keys, scanning the tables under lock.
DROPPED = {
    "calls_livecall_call_id_c84bdea6_like": "calls_livecall (call_id varchar_pattern_ops)",
    "calls_livecall_customer_id_ca24e4bb": "calls_livecall (customer_id)",
    "calls_livecall_expires_at_8ef22850": "calls_livecall (expires_at)",
    "calls_callattempt_requested_by_id_7df46930": "calls_callattempt (requested_by_id)",
}


class Migration(migrations.Migration):
    atomic = False  # the attempts' new index is built without locking out the drain's writes

    dependencies = [
        ("calls", "0004_callattempt_drop_customer_index"),
        ("customers", "0013_portal_sections_dids_alerts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="callattempt",
            index=models.Index(condition=models.Q(("requested_by__isnull", False)), fields=["requested_by"],
                               name="callattempt_requested_by"),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="callattempt",
                    name="requested_by",
                    field=models.ForeignKey(blank=True, db_index=False, null=True,
                                            on_delete=django.db.models.deletion.SET_NULL, related_name="+",
                                            to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name="livecall",
                    name="customer",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                            related_name="live_calls", to="customers.customer"),
                ),
                migrations.AlterField(
                    model_name="livecall",
                    name="expires_at",
                    field=models.DateTimeField(),
                ),
            ],
            database_operations=[
                migrations.RunSQL(f'DROP INDEX IF EXISTS "{name}"', f'CREATE INDEX IF NOT EXISTS "{name}" ON {target}')
                for name, target in DROPPED.items()
            ],
        ),
    ]
