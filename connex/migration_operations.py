"""Operations for hand-written migrations."""

from django.db import migrations


def move_single_row_fields(source: str, target: str, fields) -> migrations.RunPython:
    """Copy `fields` of row 1 of `source` ("app.Model") to row 1 of `target`; back when reversed.

    For settings moving from one single-row model to another, in a migration that runs
    before the one dropping them from `source`.
    """
    def copy(from_label, to_label):
        def run(apps, schema_editor):
            values = apps.get_model(from_label).objects.filter(pk=1).values(*fields).first()
            if values:
                apps.get_model(to_label).objects.update_or_create(pk=1, defaults=values)
        return run

    return migrations.RunPython(copy(source, target), copy(target, source))
