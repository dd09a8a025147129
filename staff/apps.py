from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = "Staff users and roles"

    def ready(self):
        pre_migrate.connect(remember_permissions, sender=self, dispatch_uid="staff.remember_permissions")
        post_migrate.connect(grant_new_permissions, dispatch_uid="staff.grant_new_permissions")


_known_permission_ids = None


def remember_permissions(sender, using="default", **kwargs):
    """Before a migrate: which permissions exist already (those the roles were given, or refused)."""
    from django.contrib.auth.models import Permission
    from django.db.utils import DatabaseError

    global _known_permission_ids
    try:
        _known_permission_ids = set(Permission.objects.using(using).values_list("pk", flat=True))
    except DatabaseError:  # a fresh database: no auth tables yet
        _known_permission_ids = set()


def grant_new_permissions(sender, using="default", **kwargs):
    """After each app's migrate: grant the permissions this run created to the roles matching them.

    Runs after auth's own post_migrate handler has created the app's permissions.
    """
    from django.contrib.auth.models import Group, Permission

    from .roles import roles_apply

    if _known_permission_ids is None:
        return
    new = set(Permission.objects.using(using).values_list("pk", flat=True)) - _known_permission_ids
    if new:
        roles_apply(group_model=Group, permission_model=Permission, only_permission_ids=new)
        _known_permission_ids.update(new)
