from django.shortcuts import get_object_or_404, render

from connex.permissions import permission_required
from customers import selectors as customer_selectors

from .forms import SimulateForm
from .models import CallAttempt
from .services import call_attempt_list, call_simulate


def latest_calls_context(request, customer, form=None, opened=None):
    return {"attempts": call_attempt_list(customer=customer), "simulate_form": form or SimulateForm(),
            "opened": opened}


def _customer(request, pk):
    return customer_selectors.customer_get_visible(user=request.user, pk=pk)


@permission_required("calls.simulate_call", "customers.view_customer")
def call_simulate_view(request, customer_pk):
    """Runs the Simulate form of the Latest Calls tab and answers the refreshed tab with the trace open."""
    customer = _customer(request, customer_pk)
    form = SimulateForm(request.POST)
    opened, status = None, 200
    if form.is_valid():
        values = form.cleaned_data
        by_identity = values["source_ip"] or values["sip_user"]
        opened, _ = call_simulate(
            dialed=values["dialed"], cli=values["cli"], pai=values["pai"], switch_ip=values["switch_ip"] or "",
            source_ip=values["source_ip"] or "", sip_user=values["sip_user"],
            customer_id=None if by_identity else customer.pk, user=request.user)
        form = SimulateForm(initial=values)
    else:
        status = 422
    context = {"customer": customer, **latest_calls_context(request, customer, form=form, opened=opened)}
    return render(request, "calls/partials/tab_latest_calls.html", context, status=status)


@permission_required("calls.view_callattempt")
def call_attempt_trace(request, pk):
    attempt = get_object_or_404(CallAttempt, pk=pk)
    if attempt.customer_id is not None:
        _customer(request, attempt.customer_id)  # the customer must be one this user may see
    return render(request, "calls/partials/trace.html", {"attempt": attempt})
