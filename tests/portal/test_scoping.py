"""Every portal URL is scoped to the signed-in contact's customer.

The test walks every URL pattern under /portal/, whichever app declares it. A pattern that takes
arguments is requested with an object of ANOTHER customer and must answer 404 (GET and POST):
each such pattern must name how to make that object in OBJECT_MAKERS, or be listed, with its
reason, in TOKEN_PATTERNS. Patterns without arguments act only on the signed-in contact.
"""

import re

import pytest
from django.urls import get_resolver, reverse
from django.urls.resolvers import URLPattern, URLResolver

from tests.factories import (
    AlertFactory,
    ApprovedCLIFactory,
    ContactFactory,
    CustomerFactory,
    DidFactory,
    InvoiceFactory,
    RateCardFactory,
    SipUserFactory,
)

pytestmark = pytest.mark.django_db

# kwarg name per pattern -> a function making the other customer's object, returning its pk.
OBJECT_MAKERS = {
    ("portal:cli_confirm", "pk"): lambda other: ApprovedCLIFactory(customer=other, approved_at=None).pk,
    ("portal:cli_resend", "pk"): lambda other: ApprovedCLIFactory(customer=other, approved_at=None).pk,
    ("portal:impersonate_start", "contact_id"): lambda other: ContactFactory(customer=other).pk,
    ("invoicing_portal:invoice_pdf", "pk"): lambda other: _issued_invoice(other).pk,
    ("portal:sip_user_password", "pk"): lambda other: SipUserFactory(customer=other).pk,
    ("portal:sip_user_delete", "pk"): lambda other: SipUserFactory(customer=other).pk,
    ("portal:contact_reset", "pk"): lambda other: ContactFactory(customer=other).pk,
    ("portal:contact_remove", "pk"): lambda other: ContactFactory(customer=other).pk,
    ("portal:contact_admin", "pk"): lambda other: ContactFactory(customer=other, portal_admin=True).pk,
    ("portal:did_destination", "pk"): lambda other: _editable_did(other).pk,
}


def _editable_did(customer):
    """A number its own customer's contacts may re-point (so only the scoping refuses it)."""
    card = RateCardFactory(kind="customer", direction="origination", currency=customer.currency)
    return DidFactory(customer=customer, customer_card=card, portal_can_edit_destination=True,
                      destination_type="uri", destination_uri="sip:1@theirs.example.com")


def _issued_invoice(customer):
    """An invoice its own customer could download (issued, PDF rendered)."""
    from invoicing.services import invoice_issue

    return invoice_issue(invoice=InvoiceFactory(customer=customer))

# Patterns whose argument is a signed token naming its own contact (tested in their own modules).
TOKEN_PATTERNS = {"portal:password_reset_confirm", "portal:verify_email_confirm"}


def portal_patterns():
    """(name, argument names) of every named pattern whose route starts with portal/."""

    def walk(patterns, route="", namespace=""):
        for pattern in patterns:
            text = route + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, text, inner)
            elif isinstance(pattern, URLPattern) and pattern.name and text.startswith("portal/"):
                # Arguments of enclosing includes count too (e.g. portal/<int:customer>/...).
                yield f"{namespace}{pattern.name}", sorted(set(_route_args(text)))

    return list(walk(get_resolver().url_patterns))


def _route_args(route):
    return re.findall(r"<(?:\w+:)?(\w+)>", route)


def test_every_portal_pattern_with_arguments_is_covered():
    patterns = portal_patterns()
    assert "portal:dashboard" in [name for name, _ in patterns]
    for name, kwargs in patterns:
        if kwargs and name not in TOKEN_PATTERNS:
            missing = [kw for kw in kwargs if (name, kw) not in OBJECT_MAKERS]
            assert not missing, f"{name}: add an OBJECT_MAKERS entry for {missing} (another customer's object)"


@pytest.mark.parametrize("method", ["get", "post"])
def test_wrong_customers_objects_answer_404(client, portal_login, method):
    mine, other = CustomerFactory(name="Mine"), CustomerFactory(name="Other")
    # An administrator of its own customer: it may act on contacts, but only its customer's.
    portal_login(client, ContactFactory(customer=mine, portal_admin=True))
    walked = 0
    for name, kwargs in portal_patterns():
        if not kwargs or name in TOKEN_PATTERNS:
            continue
        url = reverse(name, kwargs={kw: OBJECT_MAKERS[(name, kw)](other) for kw in kwargs})
        response = getattr(client, method)(url)
        # A POST-only view answers GET with 405 before looking at the object; the POST run checks it.
        expected = {404, 405} if method == "get" else {404}
        assert response.status_code in expected, f"{method.upper()} {url} ({name}) answered {response.status_code}"
        walked += 1
    assert walked >= 1
    assert client.get("/portal/").status_code == 200  # still signed in as ourselves


def test_own_invoice_pdf_is_downloadable(client, portal_login):
    """The scoping test's invoice maker yields an object its own contact can open."""
    mine = CustomerFactory(name="Mine")
    portal_login(client, ContactFactory(customer=mine))
    invoice = _issued_invoice(mine)
    response = client.get(reverse("invoicing_portal:invoice_pdf", kwargs={"pk": invoice.pk}))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_another_customers_objects_are_neither_listed_nor_changed(client, portal_login):
    """Lists show only the own customer's rows, and a walk of every action leaves the other's intact."""
    from contacts.models import Contact
    from sipauth.models import SipUser

    mine, other = CustomerFactory(name="Mine"), CustomerFactory(name="Other")
    portal_login(client, ContactFactory(customer=mine, portal_admin=True))
    theirs_sip = SipUserFactory(customer=other, extension=888123)
    theirs_contact = ContactFactory(customer=other, name="Their Person", email="their@other.example")
    theirs_did = _editable_did(other)
    from alerts.services import low_balance_alert_set

    theirs_alert = low_balance_alert_set(customer=other, threshold=77, recipients=["alarm@other.example"])
    AlertFactory(customer=other, title="Their custom alert", recipients=["custom@other.example"])
    for url in ("/portal/sip-users/", "/portal/contacts/", "/portal/rates/", "/portal/dids/", "/portal/alerts/"):
        page = client.get(url).content.decode()
        assert "888123" not in page and "Their Person" not in page and "their@other.example" not in page
        assert theirs_did.number not in page and "theirs.example.com" not in page
        assert "alarm@other.example" not in page and "custom@other.example" not in page
    for name, kwargs in portal_patterns():
        if not kwargs or name in TOKEN_PATTERNS:
            continue
        url = reverse(name, kwargs={kw: (theirs_contact.pk if "contact" in name and kw == "pk" else
                                         theirs_sip.pk if "sip_user" in name else
                                         OBJECT_MAKERS[(name, kw)](other)) for kw in kwargs})
        client.post(url)
    # Our own alert page changes only our customer's alert.
    client.post("/portal/alerts/", {"enabled": "on", "threshold": "3", "recipients": "mine@mine.example"})
    theirs_alert.refresh_from_db()
    assert theirs_alert.threshold == 77 and theirs_alert.recipients == ["alarm@other.example"]
    theirs_did.refresh_from_db()
    assert theirs_did.destination_uri == "sip:1@theirs.example.com"
    assert SipUser.objects.filter(pk=theirs_sip.pk).exists()
    theirs_contact.refresh_from_db()
    assert Contact.objects.filter(pk=theirs_contact.pk).exists() and not theirs_contact.portal_admin
