"""Portal self-service pages: SIP users, rates and (for administrators) contacts of the contact's customer.

Every object is looked up within the signed-in contact's customer, so another customer's ids
answer 404; each page is behind its Portal Access section (and the branded domain's features).
"""

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from connex.exports import csv_row
from contacts.models import Contact
from customers.models import PortalSection
from sipauth.models import SipUser
from sipauth.services import extension_next_free

from . import selectors, selfservice
from .access import portal_customer, portal_section_required
from .forms import ContactInviteForm, DidDestinationForm, LowBalanceAlertForm, SipUserAddForm
from .net import client_ip


def _who(request):
    return {"actor": request.portal_contact, "impersonator": request.impersonator or None, "ip": client_ip(request)}


# SIP users --------------------------------------------------------------------------------------

def _sip_page(request, form=None, shown_password=None, status=200):
    customer = portal_customer(request)
    return render(request, "portal/sip_users.html", {
        "title": "SIP users", "customer": customer,
        "sip_users": SipUser.objects.filter(customer=customer).order_by("extension"),
        "ip_entries": customer.ip_auth_entries.order_by("address", "port"),
        "blocks": customer.number_blocks.order_by("start"),
        "form": form or SipUserAddForm(initial={"extension": extension_next_free(customer=customer)}),
        "shown_password": shown_password,
    }, status=status)


@portal_section_required(PortalSection.SIP_USERS)
def sip_users(request):
    if request.method != "POST":
        return _sip_page(request)
    form = SipUserAddForm(request.POST)
    if form.is_valid():
        try:
            sip_user, password = selfservice.sip_user_add(extension=form.cleaned_data["extension"], **_who(request))
        except ValidationError as exc:
            from connex.forms import add_validation_errors

            add_validation_errors(form, exc)
        else:
            return _sip_page(request, shown_password=(sip_user, password))
    return _sip_page(request, form=form, status=422)


def _own_sip_user(request, pk):
    return get_object_or_404(SipUser, pk=pk, customer=portal_customer(request))


@require_POST
@portal_section_required(PortalSection.SIP_USERS)
def sip_user_password(request, pk):
    sip_user = _own_sip_user(request, pk)
    password = selfservice.sip_user_password_change(sip_user=sip_user, **_who(request))
    return _sip_page(request, shown_password=(sip_user, password))


@require_POST
@portal_section_required(PortalSection.SIP_USERS)
def sip_user_delete(request, pk):
    sip_user = _own_sip_user(request, pk)
    selfservice.sip_user_remove(sip_user=sip_user, **_who(request))
    messages.success(request, f"SIP user {sip_user.username} deleted.")
    return redirect("portal:sip_users")


# Rates ------------------------------------------------------------------------------------------

@portal_section_required(PortalSection.RATES)
def rates(request):
    customer = portal_customer(request)
    query = request.GET.get("q", "").strip()
    if request.GET.get("_export") == "csv":
        return _rates_csv(customer, query)
    decks = selectors.rate_decks(customer=customer, query=query)
    return render(request, "portal/rates.html", {"title": "Rates", "customer": customer, "decks": decks,
                                                 "query": query})


class _Echo:
    def write(self, value):
        return value


def _rates_csv(customer, query):
    def rows():
        writer = csv.writer(_Echo())
        yield writer.writerow(["card", "prefix", "destination", "rate_per_minute", "connect_fee", "currency", "mcd",
                               "pulse", "grace", "blocked", "live_from"])
        for deck in selectors.rate_decks(customer=customer, query=query, limit=None):
            for row in deck["rows"]:
                yield writer.writerow(csv_row([deck["card"].name, row.prefix, row.name, row.rate, row.connect_fee,
                                               deck["card"].currency, row.mcd, row.pulse, row.grace,
                                               "yes" if row.blocked else "no",
                                               deck["revision"].live_from.isoformat()]))

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="rates.csv"'
    return response


# Contacts ---------------------------------------------------------------------------------------

def _contacts_page(request, form=None, status=200):
    customer = portal_customer(request)
    return render(request, "portal/contacts.html", {
        "title": "Contacts", "customer": customer, "contact": request.portal_contact,
        "contacts": Contact.objects.filter(customer=customer).order_by("name"),
        "form": form or ContactInviteForm(), "is_admin": request.portal_contact.portal_admin,
    }, status=status)


def _portal_url(request):
    return request.build_absolute_uri(reverse("portal:login"))


@portal_section_required(PortalSection.CONTACTS)
def contacts(request):
    if request.method != "POST":
        return _contacts_page(request)
    if not request.portal_contact.portal_admin:
        raise PermissionDenied("Only the account's administrators manage its contacts.")
    form = ContactInviteForm(request.POST)
    if form.is_valid():
        try:
            contact = selfservice.contact_invite(name=form.cleaned_data["name"], email=form.cleaned_data["email"],
                                                 portal_admin=form.cleaned_data["portal_admin"],
                                                 portal_url=_portal_url(request), **_who(request))
        except ValidationError as exc:
            from connex.forms import add_validation_errors

            add_validation_errors(form, exc)
        else:
            messages.success(request, f"{contact.name} is invited: we emailed {contact.email} a password.")
            return redirect("portal:contacts")
    return _contacts_page(request, form=form, status=422)


def _own_contact(request, pk):
    return get_object_or_404(Contact, pk=pk, customer=portal_customer(request))


def _contact_action(request, pk, action):
    target = _own_contact(request, pk)
    if not request.portal_contact.portal_admin:
        raise Http404("Only the account's administrators manage its contacts.")
    try:
        notice = action(target)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, notice)
    return redirect("portal:contacts")


@require_POST
@portal_section_required(PortalSection.CONTACTS)
def contact_reset(request, pk):
    def reset(target):
        selfservice.contact_reset(contact=target, portal_url=_portal_url(request), **_who(request))
        return f"We emailed {target.email} a new password."

    return _contact_action(request, pk, reset)


@require_POST
@portal_section_required(PortalSection.CONTACTS)
def contact_remove(request, pk):
    def remove(target):
        selfservice.contact_remove(contact=target, **_who(request))
        return f"{target.name} removed."

    return _contact_action(request, pk, remove)


@require_POST
@portal_section_required(PortalSection.CONTACTS)
def contact_admin(request, pk):
    def toggle(target):
        admin = request.POST.get("portal_admin") == "1"
        selfservice.contact_admin_set(contact=target, portal_admin=admin, **_who(request))
        return f"{target.name} is {'now an' if admin else 'no longer an'} administrator."

    return _contact_action(request, pk, toggle)


# DIDs and packages ------------------------------------------------------------------------------

def _dids_page(request, failed=None, status=200):
    """The customer's numbers (with a destination form where staff allow changes) and package minutes.

    ``failed`` is (did pk, bound form with errors), shown in place of that number's form.
    """
    from dids.selectors import did_list_for_customer
    from packages.selectors import free_minutes_remaining

    customer = portal_customer(request)
    rows = []
    for did in did_list_for_customer(customer=customer):
        form = None
        if did.portal_can_edit_destination:
            if failed and failed[0] == did.pk:
                form = failed[1]
            else:
                form = DidDestinationForm(customer=customer, prefix=f"did{did.pk}", initial={
                    "destination_type": did.destination_type, "sip_user": did.sip_user_id,
                    "ip_entry": did.ip_entry_id, "destination_uri": did.destination_uri})
        rows.append({"did": did, "form": form})
    return render(request, "portal/dids.html", {
        "title": "DIDs and packages", "customer": customer, "rows": rows,
        "packages": free_minutes_remaining(customer=customer),
    }, status=status)


@portal_section_required(PortalSection.DIDS)
def dids(request):
    return _dids_page(request)


@require_POST
@portal_section_required(PortalSection.DIDS)
def did_destination(request, pk):
    from dids.models import Did

    customer = portal_customer(request)
    did = get_object_or_404(Did, pk=pk, customer=customer)
    if not did.portal_can_edit_destination:
        raise PermissionDenied("Your provider sets where this number's calls go.")
    form = DidDestinationForm(request.POST, customer=customer, prefix=f"did{did.pk}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            selfservice.did_destination_change(did=did, destination_type=data["destination_type"],
                                               sip_user=data["sip_user"], ip_entry=data["ip_entry"],
                                               destination_uri=data["destination_uri"], **_who(request))
        except ValidationError as exc:
            from connex.forms import add_validation_errors

            add_validation_errors(form, exc)
        else:
            did.refresh_from_db()
            messages.success(request, f"Calls to {did} now go to {did.destination_label or 'no destination'}.")
            return redirect("portal:dids")
    return _dids_page(request, failed=(did.pk, form), status=422)


# Alerts -----------------------------------------------------------------------------------------

def _alerts_page(request, form=None, status=200):
    from alerts.services import low_balance_alert_get

    customer = portal_customer(request)
    alert = low_balance_alert_get(customer=customer)
    if form is None:
        initial = {"enabled": True}
        if alert is not None:
            initial = {"enabled": alert.enabled, "threshold": alert.threshold,
                       "reset_threshold": alert.reset_threshold, "recipients": ", ".join(alert.recipients)}
        form = LowBalanceAlertForm(initial=initial)
    return render(request, "portal/alerts.html", {"title": "Alerts", "customer": customer, "alert": alert,
                                                  "form": form}, status=status)


@portal_section_required(PortalSection.ALERTS)
def alerts(request):
    if request.method != "POST":
        return _alerts_page(request)
    form = LowBalanceAlertForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            selfservice.low_balance_alert_change(threshold=data["threshold"], reset_threshold=data["reset_threshold"],
                                                 recipients=data["recipients"], enabled=data["enabled"],
                                                 **_who(request))
        except ValidationError as exc:
            from connex.forms import add_validation_errors

            add_validation_errors(form, exc)
        else:
            messages.success(request, "Your low-balance alert is saved.")
            return redirect("portal:alerts")
    return _alerts_page(request, form=form, status=422)
