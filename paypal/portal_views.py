from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from connex.forms import add_validation_errors
from customers.models import PortalSection
from portal.access import portal_customer, portal_section_required

from . import services
from .forms import TopupForm
from .models import PayPalOptions, PayPalTopup
from .portal import paypal_offered


@portal_section_required(PortalSection.PAYMENTS)
def topup(request):
    customer = portal_customer(request)
    if not paypal_offered(request):
        raise Http404("Top-ups are not offered here.")
    currencies = services.topup_currencies(customer=customer)
    form = TopupForm(request.POST or None, currencies=currencies)
    if request.method == "POST" and form.is_valid():
        try:
            topup = services.topup_start(customer=customer, contact=request.portal_contact,
                                         amount=form.cleaned_data["amount"], currency=form.cleaned_data["currency"],
                                         staff_user=request.impersonator or None)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            url = services.topup_checkout_url(
                topup=topup, item_name=f"Top-up of {customer.name}",
                notify_url=request.build_absolute_uri(reverse("paypal:ipn")),
                return_url=request.build_absolute_uri(reverse("paypal_portal:topup_return")),
                cancel_url=request.build_absolute_uri(reverse("paypal_portal:topup")))
            return redirect(url)
    topups = PayPalTopup.objects.filter(customer=customer).select_related("payment")[:10]
    response = render(request, "paypal/portal/topup.html", {
        "form": form, "customer": customer, "topups": topups, "title": "Top up",
        "options": PayPalOptions.get()}, status=422 if form.errors else 200)
    return _allow_form_to_paypal(request, response)


def _allow_form_to_paypal(request, response):
    """The form's answer redirects to PayPal; browsers hold redirects after a submit to form-action."""
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
    if policy and hasattr(request, "csp_nonce"):
        parts = urlsplit(settings.PAYPAL_URL)
        origin = f"{parts.scheme}://{parts.netloc}"
        response["Content-Security-Policy"] = policy.replace("{nonce}", request.csp_nonce).replace(
            "form-action 'self'", f"form-action 'self' {origin}")
    return response


@portal_section_required(PortalSection.PAYMENTS)
def topup_return(request):
    """Where PayPal sends the contact back: the balance moves when PayPal's IPN arrives."""
    messages.info(request, "Thank you. Your payment is credited as soon as PayPal confirms it, "
                           "usually within a minute.")
    return redirect("paypal_portal:topup")
