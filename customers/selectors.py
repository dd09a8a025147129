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
