from django.shortcuts import render
from django.views import View
from django_tables2 import RequestConfig

from connex.exports import SafeTableExport
from connex.permissions import PermissionRequiredMixin
from customers.selectors import customer_get_visible

from . import selectors
from .filtersets import StatementFilterSet
from .tables import StatementTable

STATEMENT_PERMISSION = "ledger.view_ledgerentry"


def statement_context(request, customer):
    """The statement block of the customer card's Payments tab (empty without the permission)."""
    if not request.user.has_perm(STATEMENT_PERMISSION):
        return {"statement": None}
    filterset = StatementFilterSet(request.GET or None, queryset=selectors.statement_lines(customer_id=customer.pk))
    table = StatementTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return {"statement": table, "statement_filter": filterset}


class StatementView(PermissionRequiredMixin, View):
    """A customer's statement: the htmx partial behind the filter, or the whole filtered CSV."""

    permission_required = STATEMENT_PERMISSION

    def get(self, request, pk):
        customer = customer_get_visible(user=request.user, pk=pk)
        if request.GET.get("_export") == "csv":
            lines = selectors.statement_lines(customer_id=customer.pk, filters=request.GET)
            table = StatementTable(lines)
            return SafeTableExport("csv", table).response(f"statement-{customer.pk}.csv")
        return render(request, "ledger/partials/statement.html", {"customer": customer,
                                                                 **statement_context(request, customer)})
