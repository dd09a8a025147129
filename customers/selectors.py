from .models import Customer


def customer_list(*, filters=None, search=""):
    """Customers for the board: everything the table shows, in a fixed number of queries."""
    from .filtersets import CustomerFilterSet

    queryset = Customer.objects.select_related("account_manager", "reseller").prefetch_related("tags")
    queryset = queryset.search(search)
    if filters is not None:
        queryset = CustomerFilterSet(filters, queryset=queryset).qs
    return queryset


def customer_get(*, pk, user=None):
    """One customer with what the card shows; with `user`, only if that staff member may see it."""
    queryset = Customer.objects.select_related("account_manager", "reseller", "invoice_template")
    if user is not None:
        queryset = customers_visible_to(user, queryset)
    return queryset.get(pk=pk)


def customer_channels_in_use(customer) -> int:
    """The channels the customer's live calls hold now; the figure stored on the customer (synced
    every second from the live state) when no source can tell."""
    from connex.registry import registry

    for source in registry.live_channels_sources:
        count = source(customer.pk)
        if count is not None:
            return count
    return customer.channels_in_use


def customer_selection(*, data, user):
    """The customers a bulk action applies to, from the board's selection form, among those
    the staff member may see.

    Either the ticked rows (`pk`), or — with `select_all_matching` — every customer matching
    the filter and search the board showed (`filter_query`, the board's query string).
    """
    from django.http import QueryDict

    if data.get("select_all_matching"):
        board = QueryDict(data.get("filter_query", ""))
        return customers_visible_to(user, customer_list(filters=board, search=board.get("q", "")))
    ids = [int(pk) for pk in data.getlist("pk") if str(pk).isdigit()]
    return customers_visible_to(user, Customer.objects.filter(pk__in=ids))


def delayed_change_list(*, search=""):
    from .models import DelayedChange

    queryset = DelayedChange.objects.select_related("customer", "requested_by")
    if search:
        queryset = queryset.filter(customer__name__icontains=search.strip())
    return queryset


def delayed_change_pending(*, customer):
    from .models import DelayedChange

    return customer.delayed_changes.filter(state=DelayedChange.State.PENDING).select_related("requested_by")


def customers_visible_to(user, queryset=None):
    """The customers a staff member may see: all of them with `customers.view_all_customers`,
    otherwise only those they are the account manager of ("only my customers").

    Every staff-facing read of customers (board, card, search, exports, API, broadcasts) goes
    through this one function.
    """
    queryset = Customer.objects.all() if queryset is None else queryset
    if user is not None and user.has_perm("customers.view_all_customers"):
        return queryset
    if user is None or not user.is_authenticated:
        return queryset.none()
    return queryset.filter(account_manager=user)


def customer_is_visible_to(user, customer) -> bool:
    """customers_visible_to for one loaded customer, without a query (the switch lookups' hot path)."""
    if user is None or not user.is_authenticated:
        return False
    return user.has_perm("customers.view_all_customers") or customer.account_manager_id == user.pk


def customer_get_visible(*, user, pk):
    """One customer for the card and its sections; 404 when the staff member may not see it."""
    from django.http import Http404

    customer = customers_visible_to(user, Customer.objects.filter(pk=pk)).first()
    if customer is None:
        raise Http404("No such customer.")
    return customer


def visible_through_customer(user, queryset, *, field="customer", optional=False):
    """Rows that belong to a customer (contacts, SIP users, invoices, messages, ...) limited to the
    customers the staff member may see; `optional` keeps rows that belong to no customer."""
    from django.db.models import Q

    if user is not None and user.has_perm("customers.view_all_customers"):
        return queryset
    condition = Q(**{f"{field}__in": customers_visible_to(user)})
    if optional:
        condition |= Q(**{f"{field}__isnull": True})
    return queryset.filter(condition)


IMPORT_STUCK_AFTER_MINUTES = 30


def stuck_imports_health():
    """Imports still validating or importing long after any file takes."""
    from datetime import timedelta

    from django.utils import timezone

    from connex.health import Health

    from .models import CustomerImport

    stuck = CustomerImport.objects.filter(
        state__in=[CustomerImport.State.VALIDATING, CustomerImport.State.IMPORTING],
        updated__lt=timezone.now() - timedelta(minutes=IMPORT_STUCK_AFTER_MINUTES))
    count = stuck.count()
    return Health(count == 0, f"{count} stuck" if count else "none stuck", count,
                  details=[f"#{i.pk} {i.original_name}: {i.get_state_display().lower()} since "
                           f"{i.updated:%Y-%m-%d %H:%M}" for i in stuck.order_by("updated")[:10]])
# Board row groups: the name staff pick → (the column grouped on, how a group is filtered on the board).
GROUP_FIELDS = {
    "status": ("Status", "status", "status"),
    "currency": ("Currency", "currency", "currency"),
    "reseller": ("Reseller", "reseller__name", "reseller"),
    "account_manager": ("Account manager", "account_manager__username", "account_manager"),
    "tag": ("Tag", "tags__name", "tags"),
    "country": ("Country", "country", None),
}


def customer_groups(*, queryset, levels):
    """Group rows of the board: count and sums/averages per group, one or two levels deep.

    One GROUP BY query per level, whatever the number of groups. A customer with several tags
    counts in each of its tag groups.
    """
    from django.db.models import Avg, Count, Sum

    levels = [level for level in levels if level in GROUP_FIELDS][:2]
    if not levels:
        return []
    # Aggregate names must not shadow the columns they read.
    aggregates = {"count": Count("pk", distinct=True), "sum_balance": Sum("balance"), "avg_balance": Avg("balance"),
                  "sum_debit_limit": Sum("debit_limit"), "sum_channels": Sum("channels"),
                  "sum_channels_in_use": Sum("channels_in_use")}
    base = queryset.order_by().select_related(None).prefetch_related(None)
    fields = [GROUP_FIELDS[level][1] for level in levels]
    def figures(row):
        return dict(row, balance=row["sum_balance"], balance_avg=row["avg_balance"],
                    debit_limit=row["sum_debit_limit"], channels=row["sum_channels"],
                    channels_in_use=row["sum_channels_in_use"])

    top = [figures(row) for row in base.values(fields[0]).annotate(**aggregates).order_by(fields[0])]
    children = {}
    if len(fields) == 2:
        for row in base.values(*fields).annotate(**aggregates).order_by(*fields):
            children.setdefault(row[fields[0]], []).append(figures(row))
    names = {"status": dict(queryset.model.Status.choices)}
    if "account_manager" in levels:  # show people by name: one more query, whatever the number of groups
        from django.contrib.auth import get_user_model

        names["account_manager"] = ({user.username: user.get_full_name() or user.username
                             for user in get_user_model().objects.filter(managed_customers__in=base).distinct()})
    for row in top:
        row["key"] = row[fields[0]]
        row["label"] = _group_label(levels[0], row["key"], names)
        row["children"] = [dict(child, key=child[fields[1]],
                                label=_group_label(levels[1], child[fields[1]], names))
                           for child in children.get(row["key"], [])]
    return top


def _group_label(level, value, names):
    if value in (None, ""):
        return f"No {GROUP_FIELDS[level][0].lower()}"
    return str(names.get(level, {}).get(value, value))
