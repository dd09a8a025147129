"""The staff roles shipped with the panel: one table, applied by a migration and after every migrate.

Each role is a Django group whose permissions are the ones matching its patterns
("app_label.codename", shell-style wildcards). "Only my customers" is the absence of
`customers.view_all_customers`: an Account manager sees only the customers they manage.

After each `migrate`, permissions created by that run (a new app, a new model) are granted to
the roles whose patterns match them; edits made in Settings → Users and roles are kept.
`manage.py roles_sync` grants every missing table permission again; `--reset` also removes
what the table does not give.
"""

from fnmatch import fnmatchcase

ADMINISTRATOR = "Administrator"
SUPPORT = "Support"
FINANCE = "Finance"
ACCOUNT_MANAGER = "Account manager"
READ_ONLY = "Read-only"

# Platform internals no role manages through the panel (sessions, content types, Celery beat).
EXCLUDED_APPS = ("admin", "contenttypes", "sessions", "django_celery_beat", "authtoken")

READ = ("*.view_*",)
CUSTOMER_CARE = (
    "customers.add_customer", "customers.change_customer", "customers.portal_login",
    "customers.change_approvedcli", "customers.*_delayedchange",
    "contacts.add_contact", "contacts.change_contact", "contacts.delete_contact",
    "sipauth.*_sipuser", "sipauth.*_ipauthentry",
    "numberblocks.add_numberblock", "numberblocks.delete_numberblock",
    "routing.*_ingressroute",
    "clirules.*_clirule", "calls.simulate_call",
    "alerts.*_alert",
    "dids.change_did", "packages.*_packagesubscription",
    "calls.end_call",
)

# Every staff member may hold API tokens of their own; a token never exceeds its user's permissions.
OWN_API_TOKENS = ("apitokens.add_apitoken", "apitokens.change_apitoken")

ROLES = {
    ADMINISTRATOR: ("*.*",),
    READ_ONLY: READ + OWN_API_TOKENS + ("customers.view_all_customers",),
    FINANCE: READ + OWN_API_TOKENS + (
        "customers.view_all_customers",
        "invoicing.*_invoice", "invoicing.*_invoiceline", "invoicing.*_payment", "invoicing.*_paymentallocation",
        "invoicing.*_invoicetemplate", "invoicing.void_invoice", "invoicing.record_payment",
        "rates.*_ratecard", "rates.upload_rate_deck", "rates.*_ratedeckupload",
        "dids.*_did", "packages.*_package", "packages.*_packagesubscription",
        "paypal.change_paypaloptions",
        "cdrs.add_recalcjob",
    ),
    SUPPORT: READ + OWN_API_TOKENS + ("customers.view_all_customers",) + CUSTOMER_CARE,
    ACCOUNT_MANAGER: READ + OWN_API_TOKENS + CUSTOMER_CARE + (
        "messaging.send_broadcast", "messaging.add_broadcast",
    ),
}

# Never granted by a pattern, only by hand: a Read-only or Support user must not change staff accounts.
STAFF_ADMINISTRATION = ("auth.add_*", "auth.change_*", "auth.delete_*")

# Matched by a role's wildcard but not part of it: an Account manager sees only their own customers.
WITHHELD = {ACCOUNT_MANAGER: ("customers.view_all_customers",)}


def permission_key(permission):
    return f"{permission.content_type.app_label}.{permission.codename}"


def role_matches(role, key):
    app_label = key.split(".", 1)[0]
    if app_label in EXCLUDED_APPS:
        return False
    patterns = ROLES[role]
    if role != ADMINISTRATOR and any(fnmatchcase(key, p) for p in STAFF_ADMINISTRATION):
        return False
    if any(fnmatchcase(key, p) for p in WITHHELD.get(role, ())):
        return False
    return any(fnmatchcase(key, pattern) for pattern in patterns)


def roles_apply(*, group_model=None, permission_model=None, only_permission_ids=None, reset=False):
    """Create the role groups and grant them their permissions; returns {role: permissions added}.

    `only_permission_ids` limits the grant to those permissions (the ones a migrate just created);
    `reset` makes each group hold exactly its table's permissions.
    """
    if group_model is None:
        from django.contrib.auth.models import Group as group_model  # noqa: N813
        from django.contrib.auth.models import Permission as permission_model
    permissions = list(permission_model.objects.select_related("content_type"))
    added = {}
    for role in ROLES:
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = {p.pk for p in permissions if role_matches(role, permission_key(p))}
        if reset:
            group.permissions.set(wanted)
            added[role] = len(wanted)
            continue
        if only_permission_ids is not None:
            wanted &= set(only_permission_ids)
        missing = wanted - set(group.permissions.values_list("pk", flat=True))
        group.permissions.add(*missing)
        added[role] = len(missing)
    return added
