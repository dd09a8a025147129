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
