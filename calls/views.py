from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render

from connex.generic import ObjectDeleteView, ObjectEditView
from connex.permissions import permission_required
from connex.views import ObjectListView, OptionsFormView
from customers import selectors as customer_selectors

from . import services
from .filtersets import SwitchFilterSet
from .forms import CallOptionsForm, SimulateForm, SwitchForm
from .models import CallAttempt, Switch
from .services import (
    SwitchUnavailable,
    call_attempt_list,
    call_hangup,
    call_simulate,
    live_call_list,
)
from .tables import SwitchTable


def latest_calls_context(request, customer, form=None, opened=None):
    return {"attempts": call_attempt_list(customer=customer), "simulate_form": form or SimulateForm(),
            "opened": opened}


def dialogs_context(request, customer):
    calls = live_call_list(customer_id=customer.pk)
    return {"dialogs": calls, "live_count": len(calls)}


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


@permission_required("calls.view_livecall", "customers.view_customer")
def customer_dialogs(request, customer_pk):
    """The card's Dialogs tab body, polled by htmx."""
    customer = _customer(request, customer_pk)
    return render(request, "calls/partials/tab_dialogs.html", {"customer": customer,
                                                               **dialogs_context(request, customer)})


@permission_required("calls.view_livecall")
def dialogs_page(request):
    """Every live call of the customers this staff member may see; the table refreshes itself."""
    calls = live_call_list()
    if not request.user.has_perm("customers.view_all_customers"):
        visible = set(customer_selectors.customers_visible_to(request.user).values_list("pk", flat=True))
        calls = [call for call in calls if call["customer"] in visible]
    template = "calls/partials/dialogs_table.html" if request.htmx else "calls/dialogs.html"
    return render(request, template, {"dialogs": calls, "show_customer": True, "refresh_url": request.path})


@permission_required("calls.end_call")
def dialog_end(request):
    """End call: asks the call's switch to hang it up; the switch's end report closes it."""
    if request.method != "POST":
        return HttpResponseBadRequest("POST only.", content_type="text/plain")
    call_id = request.POST.get("call_id", "")
    calls = {call["call_id"]: call for call in live_call_list()}
    call = calls.get(call_id)
    if call is None or not customer_selectors.customers_visible_to(request.user).filter(pk=call["customer"]).exists():
        messages.error(request, "This call is no longer live.")
    else:
        try:
            call_hangup(call_id=call_id, user=request.user)
        except SwitchUnavailable as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"The switch was asked to end call {call_id}.")
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/") and not back.startswith("//") else "calls:dialogs")


class CallOptionsView(OptionsFormView):
    permission_required = "calls.change_calloptions"
    form_class = CallOptionsForm
    title = "Calls"


class SwitchListView(ObjectListView):
    permission_required = "calls.view_switch"
    table_class = SwitchTable
    filterset_class = SwitchFilterSet
    template_name = "calls/switch_list.html"
    title = "Switches"
    search_placeholder = "Name"

    def get_queryset(self):
        queryset = Switch.objects.all()
        query = self.request.GET.get("q", "").strip()
        return queryset.filter(name__icontains=query) if query else queryset


class SwitchFormView(ObjectEditView):
    model = Switch
    form_class = SwitchForm
    success_url = "calls_settings:switch_list"
    delete_url_name = "calls_settings:switch_delete"

    def save(self, form):
        return services.switch_save(switch=form.save(commit=False))


class SwitchDeleteView(ObjectDeleteView):
    model = Switch
    success_url = "calls_settings:switch_list"

    def delete(self, switch):
        services.switch_delete(switch=switch)
