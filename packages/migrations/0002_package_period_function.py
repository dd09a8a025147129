from django.db import migrations

from packages.periods import PERIOD_START_SQL


class Migration(migrations.Migration):
    dependencies = [("packages", "0001_initial")]

    operations = [
        migrations.RunSQL(PERIOD_START_SQL, "DROP FUNCTION IF EXISTS cx_package_period_start(text, int, date)"),
    ]
