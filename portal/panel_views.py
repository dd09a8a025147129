"""Panel (staff) pages about the portal: approved CLIs on the customer card."""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from connex.permissions import permission_required
from customers.models import ApprovedCLI
from customers.selectors import customer_get_visible

from . import services
from .net import client_ip


def clis_section_context(request, customer):
    return {"clis": customer.approved_clis.order_by("number")}


def render_clis_section(request, customer, **extra):
    return render(request, "portal/partials/clis_section.html",
                  {"customer": customer, **clis_section_context(request, customer), **extra})


@permission_required("customers.change_approvedcli")
@require_POST
def cli_revoke(request, customer_pk, pk):
    customer = customer_get_visible(user=request.user, pk=customer_pk)
    cli = get_object_or_404(ApprovedCLI, pk=pk, customer=customer)
    services.cli_revoke(cli=cli, user=request.user, ip=client_ip(request))
    return render_clis_section(request, customer, notice=f"{cli.number} revoked: calls from it are refused.")
