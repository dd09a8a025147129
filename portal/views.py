from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from connex.registry import registry
from contacts.models import Contact
from customers.models import ApprovedCLI
from customers.selectors import visible_through_customer

from . import auth, selectors, services
from .access import portal_customer, portal_login_required
from .branding import section_offered
from .forms import CLIForm, CodeForm, PasswordResetForm, PasswordResetRequestForm, PortalLoginForm
from .models import PortalEvent
from .net import client_ip


def login(request):
    form = PortalLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = services.portal_sign_in(email=form.cleaned_data["email"], password=form.cleaned_data["password"],
                                         ip=client_ip(request), domain=request.portal_domain)
        if result.contact is None:
            form.add_error(None, result.error)
        else:
            auth.contact_login(request, result.contact)
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}) or not target.startswith("/portal/"):
                target = "/portal/"
            return redirect(target)
    return render(request, "portal/login.html", {"form": form})


@require_POST
def logout(request):
    if request.impersonator:
        return impersonate_end(request)
    contact = request.portal_contact
    if contact:
        services.event_record(kind=PortalEvent.Kind.LOGOUT, contact=contact, ip=client_ip(request))
    auth.contact_logout(request)
    return redirect("portal:login")


@portal_login_required
def dashboard(request):
    contact = request.portal_contact
    customer = contact.customer
    sections = [item for item in registry.portal_nav
                if item.section and section_offered(request, item.section)
                and (item.available is None or item.available(request))]
    pending = customer.verification_pending()
    return render(request, "portal/dashboard.html", {
        "contact": contact, "customer": customer, "sections": sections,
        "verification_pending": pending,
        "pending_clis": customer.approved_clis.filter(approved_at__isnull=True, revoked_at__isnull=True).count(),
        "usage": selectors.usage_figures(customer=customer),
        "invoices": selectors.latest_invoices(customer=customer) if section_offered(request, "invoices") else None,
        "next_steps": selectors.next_steps(customer=customer, contact=contact, verification_pending=pending),
    })


# Password reset -------------------------------------------------------------------------------

def password_reset(request):
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_reset_request(
            email=form.cleaned_data["email"], ip=client_ip(request),
            link_for=lambda token: request.build_absolute_uri(reverse("portal:password_reset_confirm",
                                                                      args=[token])))
        # The same answer whether or not the email exists, so the form reveals no logins.
        return render(request, "portal/password_reset.html", {"sent": True, "email": form.cleaned_data["email"]})
    return render(request, "portal/password_reset.html", {"form": form})


def password_reset_confirm(request, token):
    contact = services.password_reset_contact(token)
    if contact is None:
        return render(request, "portal/password_reset_confirm.html", {"invalid": True}, status=400)
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_reset_confirm(contact=contact, password=form.cleaned_data["password"],
                                            ip=client_ip(request))
        except ValidationError as exc:
            form.add_error("password", exc)
        else:
            auth.contact_logout(request)
            messages.success(request, "Your password has been changed. Sign in with it now.")
            return redirect("portal:login")
    return render(request, "portal/password_reset_confirm.html", {"form": form, "contact": contact})


# Verification ---------------------------------------------------------------------------------

def _notify(request, notice):
    {"success": messages.success, "warning": messages.warning, "error": messages.error}[notice.level](
        request, notice.text)


@portal_login_required
def verify(request):
    contact = request.portal_contact
    return render(request, "portal/verify.html", {"contact": contact, "customer": contact.customer,
                                                  "code_form": CodeForm()})


@require_POST
@portal_login_required
def verify_email_send(request):
    contact = request.portal_contact
    services.email_verification_send(contact=contact, link_for=lambda token: request.build_absolute_uri(
        reverse("portal:verify_email_confirm", args=[token])))
    messages.info(request, f"We sent a confirmation link to {contact.email}.")
    return redirect("portal:verify")


def verify_email_confirm(request, token):
    contact = services.email_verification_confirm(token=token, ip=client_ip(request))
    if contact is None:
        return render(request, "portal/verify_email_done.html", {"invalid": True}, status=400)
    return render(request, "portal/verify_email_done.html", {"contact": contact})


@require_POST
@portal_login_required
def verify_mobile_send(request):
    contact = request.portal_contact
    try:
        message = services.mobile_verification_send(contact=contact)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        _notify(request, services.code_delivery_notice(message=message, to=contact.mobile))
    return redirect("portal:verify")


@require_POST
@portal_login_required
def verify_mobile_confirm(request):
    contact = request.portal_contact
    form = CodeForm(request.POST)
    if form.is_valid() and services.mobile_verification_confirm(contact=contact, code=form.cleaned_data["code"],
                                                                ip=client_ip(request)):
        messages.success(request, "Your mobile number is verified.")
        return redirect("portal:verify")
    if form.is_valid():
        form.add_error("code", "That code is wrong or has expired. Send a new one if needed.")
    return render(request, "portal/verify.html", {"contact": contact, "customer": contact.customer,
                                                  "code_form": form},
                  status=422)


# Approved CLIs --------------------------------------------------------------------------------

def _clis_page(request, form=None, confirm_forms=None, status=200):
    customer = portal_customer(request)
    clis = list(customer.approved_clis.order_by("number"))
    confirm_forms = confirm_forms or {}
    for cli in clis:
        cli.code_form = confirm_forms.get(cli.pk) or CodeForm(prefix=f"cli{cli.pk}")
    return render(request, "portal/clis.html", {"customer": customer, "clis": clis, "form": form or CLIForm()},
                  status=status)


@portal_login_required
def clis(request):
    if request.method != "POST":
        return _clis_page(request)
    form = CLIForm(request.POST)
    if form.is_valid():
        try:
            cli = services.cli_submit(contact=request.portal_contact, number=form.cleaned_data["number"],
                                      ip=client_ip(request))
        except ValidationError as exc:
            form.add_error("number", exc)
        else:
            _notify(request, services.code_delivery_notice(message=cli.code_message, to=cli.number))
            return redirect("portal:clis")
    return _clis_page(request, form=form, status=422)


def _portal_cli(request, pk):
    # Scoped to the signed-in contact's customer: another customer's CLI is a 404.
    return get_object_or_404(ApprovedCLI, pk=pk, customer=portal_customer(request))


@require_POST
@portal_login_required
def cli_confirm(request, pk):
    cli = _portal_cli(request, pk)
    form = CodeForm(request.POST, prefix=f"cli{cli.pk}")
    if form.is_valid() and services.cli_confirm(contact=request.portal_contact, cli=cli,
                                                code=form.cleaned_data["code"], ip=client_ip(request)):
        messages.success(request, f"{cli.number} is approved: you can call from it now.")
        return redirect("portal:clis")
    if form.is_valid():
        form.add_error("code", "That code is wrong or has expired. Ask for a new call if needed.")
    return _clis_page(request, confirm_forms={cli.pk: form}, status=422)


@require_POST
@portal_login_required
def cli_resend(request, pk):
    cli = _portal_cli(request, pk)
    if cli.is_active:
        raise Http404("Already approved.")
    cli = services.cli_submit(contact=request.portal_contact, number=cli.number, ip=client_ip(request))
    _notify(request, services.code_delivery_notice(message=cli.code_message, to=cli.number))
    return redirect("portal:clis")


# Portal Login ---------------------------------------------------------------------------------

@require_POST
def impersonate_start(request, contact_id):
    user = request.user
    if not (user.is_authenticated and user.is_staff):
        # Not a panel session: the portal does not reveal that this action exists.
        raise Http404
    contact = get_object_or_404(
        visible_through_customer(user, Contact.objects.select_related("customer")), pk=contact_id)
    if not services.can_portal_login(user):
        raise PermissionDenied("You do not have permission to use Portal Login.")
    with transaction.atomic():
        services.impersonation_start(user=user, contact=contact, ip=client_ip(request))
        auth.contact_login(request, contact, impersonator=user)
    return redirect("portal:dashboard")


@require_POST
def impersonate_end(request):
    impersonator, contact = request.impersonator, request.portal_contact
    if not impersonator or not contact:
        auth.contact_logout(request)
        return redirect("portal:login")
    with transaction.atomic():
        services.impersonation_end(user=impersonator, contact=contact, ip=client_ip(request))
        auth.contact_logout(request)
    return redirect(contact.customer.get_absolute_url())


def brand_logo(request):
    """The logo of the portal's brand (the host's domain, else the company), open to everyone.

    Served here rather than from MEDIA_URL so the sign-in page can show it before anyone signs in.
    """
    from django.http import FileResponse

    from connex.models import AccountOptions

    domain = request.portal_domain
    image = domain.logo if domain is not None else AccountOptions.get().company_logo
    if not image:
        raise Http404("No logo.")
    response = FileResponse(image.open("rb"))
    response["Cache-Control"] = "public, max-age=300"
    return response
