import django.db.models.deletion
from django.db import migrations, models

# The customer's own index duplicates the leading column of callattempt_customer_at (customer, -at).
# Only the index is dropped: AlterField's own SQL would also drop and re-validate the foreign key,
# scanning the whole table under lock.
INDEX = "calls_callattempt_customer_id_707d943a"


class Migration(migrations.Migration):

    dependencies = [
        ("calls", "0003_plain_text_names"),
        ("customers", "0013_portal_sections_dids_alerts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="callattempt",
                    name="customer",
                    field=models.ForeignKey(blank=True, db_index=False, null=True,
                                            on_delete=django.db.models.deletion.CASCADE,
                                            related_name="call_attempts", to="customers.customer"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(f'DROP INDEX IF EXISTS "{INDEX}"',
                                  f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON calls_callattempt (customer_id)'),
            ],
        ),
    ]
