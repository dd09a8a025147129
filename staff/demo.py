"""Demo staff for `manage.py seed_demo`: a few people in each role (password "demo-password-1")."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from .roles import ROLES, roles_apply

PEOPLE = {
    "Administrator": [("ada", "Ada", "Lovelace")],
    "Support": [("sam", "Sam", "Okafor"), ("sofia", "Sofia", "Rossi")],
    "Finance": [("fiona", "Fiona", "Müller")],
    "Account manager": [("maria", "Maria", "Lopez"), ("tom", "Tom", "Becker"), ("sara", "Sara", "Ali")],
    "Read-only": [("rory", "Rory", "Dubois")],
}


def load_demo_staff(stdout):
    roles_apply()
    User = get_user_model()  # noqa: N806
    created = 0
    for role, people in PEOPLE.items():
        group = Group.objects.get(name=role)
        for username, first, last in people:
            user, new = User.objects.get_or_create(username=username, defaults={
                "first_name": first, "last_name": last, "email": f"{username}@connex.example", "is_staff": True})
            if new:
                user.set_password("demo-password-1")
                user.save(update_fields=["password"])
                created += 1
            user.groups.add(group)
    stdout.write(f"Staff: {created} new staff members in {len(ROLES)} roles.")
