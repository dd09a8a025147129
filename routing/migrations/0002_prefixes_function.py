from django.db import migrations

PREFIXES_FUNCTION = """
CREATE OR REPLACE FUNCTION cx_prefixes(number text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(left(number, n)), '{}') FROM generate_series(1, least(length(number), 20)) n
$$
"""


class Migration(migrations.Migration):
    dependencies = [("routing", "0001_ingress_routes")]

    operations = [migrations.RunSQL(PREFIXES_FUNCTION, "DROP FUNCTION IF EXISTS cx_prefixes(text)")]
