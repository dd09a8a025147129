from django.contrib.auth.management import create_permissions
from django.db import migrations


def create_roles(apps, schema_editor):
    from staff.roles import roles_apply

    # Permissions are normally created after all migrations; create those known so far now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    roles_apply(group_model=apps.get_model("auth", "Group"), permission_model=apps.get_model("auth", "Permission"))


def remove_roles(apps, schema_editor):
    from staff.roles import ROLES

    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("customers", "0006_custom_permissions"),
        ("contacts", "0002_initial"),
        ("invoicing", "0004_custom_permissions"),
        ("messaging", "0003_custom_permissions"),
        ("numberblocks", "0001_initial"),
        ("sipauth", "0002_custom_permissions"),
        ("summaries", "0004_custom_permissions"),
        ("connex", "0002_account_options"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
