from .models import Customer


def customer_list(*, filters=None, search=""):
    """Customers for the board: everything the table shows, in a fixed number of queries."""
    from .filtersets import CustomerFilterSet

    queryset = Customer.objects.select_related("account_manager", "reseller").prefetch_related("tags")
    queryset = queryset.search(search)
    if filters is not None:
        queryset = CustomerFilterSet(filters, queryset=queryset).qs
    return queryset


def customer_get(*, pk):
    return Customer.objects.select_related("account_manager", "reseller", "invoice_template").get(pk=pk)


def customer_selection(*, data):
    """The customers a bulk action applies to, from the board's selection form.

    Either the ticked rows (`pk`), or — with `select_all_matching` — every customer matching
    the filter and search the board showed (`filter_query`, the board's query string).
    """
    from django.http import QueryDict

    if data.get("select_all_matching"):
        board = QueryDict(data.get("filter_query", ""))
        return customer_list(filters=board, search=board.get("q", ""))
    ids = [int(pk) for pk in data.getlist("pk") if str(pk).isdigit()]
    return Customer.objects.filter(pk__in=ids)


def delayed_change_list(*, search=""):
    from .models import DelayedChange

    queryset = DelayedChange.objects.select_related("customer", "requested_by")
    if search:
        queryset = queryset.filter(customer__name__icontains=search.strip())
    return queryset


def delayed_change_pending(*, customer):
    from .models import DelayedChange

    return customer.delayed_changes.filter(state=DelayedChange.State.PENDING).select_related("requested_by")
