"""Writes on staff accounts and roles; each is audited as a typed StaffEvent in the same transaction."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from .models import StaffEvent

VIEW_ALL_CUSTOMERS = ("customers", "view_all_customers")


def _event(kind, *, actor, user=None, group=None, **detail):
    StaffEvent.objects.create(kind=kind, actor=actor, user=user, group=group, detail=detail)


@transaction.atomic
def staff_user_save(*, user, groups, actor):
    """Create or change a staff member (always is_staff) and set their roles."""
    adding = user.pk is None
    user.is_staff = True
    if adding:
        user.set_unusable_password()
    user.save()
    before = sorted(user.groups.values_list("name", flat=True)) if not adding else []
    user.groups.set(groups)
    after = sorted(g.name for g in groups)
    _event(StaffEvent.Kind.CREATED if adding else StaffEvent.Kind.CHANGED, actor=actor, user=user,
           active=user.is_active, groups=after, groups_before=before)
    return user


@transaction.atomic
def staff_password_reset(*, user, actor) -> str:
    """A new generated password, returned once to be shown to the administrator; only its hash is kept."""
    password = secrets.token_urlsafe(12)
    user.set_password(password)
    user.save(update_fields=["password"])
    _event(StaffEvent.Kind.PASSWORD_RESET, actor=actor, user=user)
    return password


@transaction.atomic
def group_permissions_set(*, group, permissions, only_my_customers, actor, editable=None):
    """A role's permissions; "only my customers" is the absence of customers.view_all_customers.

    Permissions outside `editable` (those the form does not show, e.g. change history rows) are kept.
    """
    view_all = Permission.objects.get(content_type__app_label=VIEW_ALL_CUSTOMERS[0], codename=VIEW_ALL_CUSTOMERS[1])
    before = set(group.permissions.values_list("pk", flat=True))
    kept = before - set(editable.values_list("pk", flat=True)) - {view_all.pk} if editable is not None else set()
    chosen = kept | {p.pk for p in permissions if p.pk != view_all.pk}
    if not only_my_customers:
        chosen.add(view_all.pk)
    group.permissions.set(chosen)
    names = dict(Permission.objects.filter(pk__in=before ^ chosen).values_list("pk", "codename"))
    _event(StaffEvent.Kind.ROLE_CHANGED, actor=actor, group=group,
           added=sorted(names[pk] for pk in chosen - before), removed=sorted(names[pk] for pk in before - chosen))
    return group


def staff_users():
    return get_user_model().objects.filter(is_staff=True).prefetch_related("groups").order_by("username")


def roles():
    """Every role with `sees_all_customers` (False: "only my customers")."""
    groups = list(Group.objects.prefetch_related("permissions__content_type", "user_set").order_by("name"))
    for group in groups:
        group.sees_all_customers = any(p.codename == VIEW_ALL_CUSTOMERS[1] and p.content_type.app_label == VIEW_ALL_CUSTOMERS[0]
                                       for p in group.permissions.all())
    return groups
