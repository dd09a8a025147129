"""Permission matrix generated from the URL resolver: every pattern × every kind of visitor.

Visitors: anonymous, a portal contact, Read-only, Support, Finance, an Account manager on their
own customer and on someone else's, an Administrator. Expected answers:
- panel pages: sign-in redirect for anonymous visitors and portal contacts; 403 for staff
  without the declared permissions; 404 for an Account manager on another manager's customer
  (or anything belonging to it); otherwise an answer that is neither refused nor an error;
- portal pages: refused to anonymous visitors unless public, open to the contact;
- API endpoints (session auth): refused to anonymous visitors and contacts; a staff member
  needs `view_<model>` to read.

A new URL pattern needs an entry in SAMPLES when it takes arguments, and its view a declared
permission: `test_every_pattern_is_declared` fails otherwise.
"""

import copy
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import (
    URLPattern,
    URLResolver,
    clear_url_caches,
    get_resolver,
    include,
    path,
    reverse,
)
from django.views import View

from connex.permissions import ADMIN, API, PANEL, PORTAL, PUBLIC, UNDECLARED, view_access
from invoicing.models import InvoiceLine
from tests.factories import (
    AlertFactory,
    ApiTokenFactory,
    ApprovedCLIFactory,
    BroadcastFactory,
    CallAttemptFactory,
    CdrImportFactory,
    CliRuleFactory,
    ContactFactory,
    CustomerFactory,
    DelayedChangeFactory,
    DidFactory,
    GatewayFactory,
    IngressRouteFactory,
    InvoiceFactory,
    InvoiceTemplateFactory,
    IpAuthEntryFactory,
    MessageFactory,
    NumberBlockFactory,
    PackageFactory,
    PackageSubscriptionFactory,
    PaymentFactory,
    PayPalIpnFactory,
    PortalDomainFactory,
    ProviderFactory,
    ProviderRateCardFactory,
    RateCardFactory,
    RateRevisionFactory,
    SipUserFactory,
    StaffFactory,
    SummaryRebuildFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Each section signs in seven visitors; password hashing strength is not what is tested here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

ROLES = ["Read-only", "Support", "Finance", "Account manager", "Administrator"]


@dataclass
class Pattern:
    route: str
    name: str | None
    callback: object


def url_patterns(patterns=None, prefix="", namespace=None):
    """Every URL pattern of the project, with its full route and namespaced name."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from url_patterns(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield Pattern(prefix + str(entry.pattern), name, entry.callback)


def undeclared_patterns(patterns=None):
    """Routes whose view declares no access at all: each is refused to everyone, and a mistake."""
    return [p.route for p in url_patterns(patterns)
            if not p.route.startswith("admin/") and view_access(p.callback, None, {})[0] == UNDECLARED]


# Sample arguments for patterns that take some. `own` marks patterns reaching a customer's data:
# the function gets that customer's objects (the Account manager's own, or another one's).
def own(function):
    function.scoped = True
    return function


SAMPLES = {
    "table_columns": lambda w, c: {"table": "customers"},
    "customers:customer_detail": own(lambda w, c: {"pk": c.customer.pk}),
    "customers:customer_tab": own(lambda w, c: {"pk": c.customer.pk, "tab": "main"}),
    "customers:customer_edit": own(lambda w, c: {"pk": c.customer.pk}),
    "customers:customer_delete": own(lambda w, c: {"pk": c.customer.pk}),
    "customers:customer_import_template": lambda w, c: {"fmt": "csv"},
    "customers:customer_import_detail": lambda w, c: {"pk": w.customer_import.pk},
    "customers:delayed_change_cancel": own(lambda w, c: {"pk": c.delayed_change.pk}),
    "contacts:contact_add": own(lambda w, c: {"customer_pk": c.customer.pk}),
    "contacts:contact_card_edit": own(lambda w, c: {"pk": c.contact.pk}),
    "contacts:contact_card_password": own(lambda w, c: {"pk": c.contact.pk}),
    "contacts:contact_edit": own(lambda w, c: {"pk": c.contact.pk}),
    "contacts:contact_password": own(lambda w, c: {"pk": c.contact.pk}),
    "numberblocks:block_assign": own(lambda w, c: {"customer_pk": c.customer.pk}),
    "numberblocks:block_release": own(lambda w, c: {"pk": c.block.pk}),
    "summaries:summary_table": own(lambda w, c: {"pk": c.customer.pk}),
    "summaries:cdr_report": own(lambda w, c: {"pk": c.customer.pk}),
    "summaries:rebuild_progress": lambda w, c: {"pk": w.rebuild.pk},
    "summaries:cdr_import_detail": lambda w, c: {"pk": w.cdr_import.pk},
    "invoicing:invoice_detail": own(lambda w, c: {"pk": c.invoice.pk}),
    "invoicing:invoice_pdf": own(lambda w, c: {"pk": c.invoice.pk}),
    "invoicing:invoice_issue": own(lambda w, c: {"pk": c.invoice.pk}),
    "invoicing:invoice_void": own(lambda w, c: {"pk": c.invoice.pk}),
    "invoicing:invoice_send": own(lambda w, c: {"pk": c.invoice.pk}),
    "invoicing:invoice_rerender": own(lambda w, c: {"pk": c.invoice.pk}),
    "invoicing:invoice_line_add": own(lambda w, c: {"pk": c.invoice.pk}),
    "invoicing:invoice_line_edit": own(lambda w, c: {"pk": c.invoice.pk, "line_pk": c.line.pk}),
    "invoicing:invoice_generate": own(lambda w, c: {"customer_pk": c.customer.pk}),
    "invoicing:invoice_auto_generate": own(lambda w, c: {"customer_pk": c.customer.pk}),
    "invoicing:invoice_draft_create": own(lambda w, c: {"customer_pk": c.customer.pk}),
    "invoicing:payment_add": own(lambda w, c: {"customer_pk": c.customer.pk}),
    "invoicing:payment_status": own(lambda w, c: {"pk": c.payment.pk}),
    "invoicing:template_edit": lambda w, c: {"pk": w.template.pk},
    "messaging:message_detail": own(lambda w, c: {"pk": c.message.pk}),
    "messaging:message_resend": own(lambda w, c: {"pk": c.message.pk}),
    "messaging:broadcast_detail": lambda w, c: {"pk": w.broadcast.pk},
    "sipauth:sip_user_add": own(lambda w, c: {"customer_pk": c.customer.pk}),
    "sipauth:sip_user_edit": own(lambda w, c: {"pk": c.sip_user.pk}),
    "sipauth:sip_user_delete": own(lambda w, c: {"pk": c.sip_user.pk}),
    "sipauth:ip_entry_add": own(lambda w, c: {"customer_pk": c.customer.pk}),
    "sipauth:ip_entry_edit": own(lambda w, c: {"pk": c.ip_entry.pk}),
    "sipauth:ip_entry_delete": own(lambda w, c: {"pk": c.ip_entry.pk}),
    "portal_panel:cli_revoke": own(lambda w, c: {"customer_pk": c.customer.pk, "pk": c.cli.pk}),
    "portal:impersonate_start": own(lambda w, c: {"contact_id": c.contact.pk}),
    "portal:password_reset_confirm": lambda w, c: {"token": "not-a-token"},
    "portal:verify_email_confirm": lambda w, c: {"token": "not-a-token"},
    "portal:cli_confirm": lambda w, c: {"pk": w.own.cli.pk},
    "portal:cli_resend": lambda w, c: {"pk": w.own.cli.pk},
    "invoicing_portal:invoice_pdf": lambda w, c: {"pk": w.own.invoice.pk},
    "invoice-detail": lambda w, c: {"pk": w.own.invoice.pk},
    "message-detail": lambda w, c: {"pk": w.own.message.pk},
    "message-resend": lambda w, c: {"pk": w.own.message.pk},
    "api_sip_user_lookup": lambda w, c: {"username": w.own.sip_user.username},
    "staff:user_edit": lambda w, c: {"pk": w.staff["Read-only"].pk},
    "staff:user_password_reset": lambda w, c: {"pk": w.staff["Read-only"].pk},
    "staff:role_edit": lambda w, c: {"pk": w.staff["Read-only"].groups.get().pk},
    "signin_lockout_unlock": lambda w, c: {"pk": 1},
    "apitokens:token_revoke": lambda w, c: {"pk": w.token.pk},
    "customer-detail": lambda w, c: {"pk": w.own.customer.pk},
    "contact-detail": lambda w, c: {"pk": w.own.contact.pk},
    "contact-set-password": lambda w, c: {"pk": w.own.contact.pk},
    "api_number_block_list": lambda w, c: {"customer_pk": w.own.customer.pk},
    "api_number_block_detail": lambda w, c: {"customer_pk": w.own.customer.pk, "pk": w.own.block.pk},
    "payment-detail": lambda w, c: {"pk": w.own.payment.pk},
    "sip-user-detail": lambda w, c: {"pk": w.own.sip_user.pk},
    "ip-entry-detail": lambda w, c: {"pk": w.own.ip_entry.pk},
    "approved-cli-detail": lambda w, c: {"pk": w.own.cli.pk},
    "approved-cli-revoke": lambda w, c: {"pk": w.own.cli.pk},
    "ledger:statement": own(lambda w, c: {"pk": c.customer.pk}),
    "cdrs:cdr_list": own(lambda w, c: {"pk": c.customer.pk}),
    "cdrs:recalc": own(lambda w, c: {"pk": c.customer.pk}),
    "cdrs:recalc_detail": own(lambda w, c: {"pk": c.recalc_job.pk}),
    "recalc-job-detail": lambda w, c: {"pk": w.own.recalc_job.pk},
    "rates:card_detail": lambda w, c: {"pk": w.rate_card.pk},
    "rates:card_edit": lambda w, c: {"pk": w.rate_card.pk},
    "rates:card_generate": lambda w, c: {"pk": w.rate_card.pk},
    "rates:deck_upload": lambda w, c: {"pk": w.rate_card.pk},
    "rates:upload_detail": lambda w, c: {"pk": w.deck_upload.pk},
    "rates:revision_download": lambda w, c: {"pk": w.rate_revision.pk},
    "routing:route_add": own(lambda w, c: {"pk": c.customer.pk}),
    "routing:route_edit": own(lambda w, c: {"pk": c.customer.pk, "route_pk": c.route.pk}),
    "routing:route_delete": own(lambda w, c: {"pk": c.customer.pk, "route_pk": c.route.pk}),
    "clirules:cli_rule_add": own(lambda w, c: {"customer_pk": c.customer.pk}),
    "clirules:cli_rule_edit": own(lambda w, c: {"pk": c.cli_rule.pk}),
    "clirules:cli_rule_delete": own(lambda w, c: {"pk": c.cli_rule.pk}),
    "clirules:cli_rule_move": own(lambda w, c: {"pk": c.cli_rule.pk, "direction": "up"}),
    "calls:call_simulate": own(lambda w, c: {"customer_pk": c.customer.pk}),
    "calls:attempt_trace": own(lambda w, c: {"pk": c.attempt.pk}),
    "calls:customer_dialogs": own(lambda w, c: {"customer_pk": c.customer.pk}),
    "calls_settings:switch_edit": lambda w, c: {"pk": w.switch.pk},
    "calls_settings:switch_delete": lambda w, c: {"pk": w.switch.pk},
    "call_answer": lambda w, c: {"call_id": "sample@192.0.2.1"},
    "call_end": lambda w, c: {"call_id": "sample@192.0.2.1"},
    "providers:provider_detail": lambda w, c: {"pk": w.provider.pk},
    "providers:provider_edit": lambda w, c: {"pk": w.provider.pk},
    "providers:provider_delete": lambda w, c: {"pk": w.provider.pk},
    "providers:gateway_add": lambda w, c: {"parent_pk": w.provider.pk},
    "providers:gateway_edit": lambda w, c: {"pk": w.gateway.pk},
    "providers:gateway_delete": lambda w, c: {"pk": w.gateway.pk},
    "providers:provider_card_attach": lambda w, c: {"pk": w.provider.pk},
    "providers:provider_card_detach": lambda w, c: {"pk": w.provider.pk, "card_pk": w.provider_link.card.pk},
    "rate-card-detail": lambda w, c: {"pk": w.rate_card.pk},
    "rate-card-rate": lambda w, c: {"pk": w.rate_card.pk},
    "rate-card-revisions": lambda w, c: {"pk": w.rate_card.pk},
    "ingress-route-detail": lambda w, c: {"pk": w.own.route.pk},
    "provider-detail": lambda w, c: {"pk": w.provider.pk},
    "gateway-detail": lambda w, c: {"pk": w.gateway.pk},
    "cli_rule-detail": lambda w, c: {"pk": w.own.cli_rule.pk},
    "alerts:alert_add": own(lambda w, c: {"customer_pk": c.customer.pk}),
    "alerts:alert_edit": own(lambda w, c: {"pk": c.alert.pk}),
    "alerts:alert_delete": own(lambda w, c: {"pk": c.alert.pk}),
    "alerts:alert_test": own(lambda w, c: {"pk": c.alert.pk}),
    "alert-detail": lambda w, c: {"pk": w.own.alert.pk},
    "alert-send-test": lambda w, c: {"pk": w.own.alert.pk},
    "dids:did_edit": own(lambda w, c: {"pk": c.did.pk}),
    "dids:did_delete": own(lambda w, c: {"pk": c.did.pk}),
    "did-detail": lambda w, c: {"pk": w.own.did.pk},
    "switch-detail": lambda w, c: {"pk": w.switch.pk},
    "portal-domain-detail": lambda w, c: {"pk": w.portal_domain.pk},
    "packages:package_edit": lambda w, c: {"pk": w.package.pk},
    "packages:package_delete": lambda w, c: {"pk": w.package.pk},
    "packages:subscription_add": own(lambda w, c: {"customer_pk": c.customer.pk}),
    "packages:subscription_edit": own(lambda w, c: {"pk": c.subscription.pk}),
    "packages:subscription_delete": own(lambda w, c: {"pk": c.subscription.pk}),
    "packages:subscription_preview": own(lambda w, c: {"pk": c.subscription.pk}),
    "package-detail": lambda w, c: {"pk": w.package.pk},
    "package-subscription-detail": lambda w, c: {"pk": w.own.subscription.pk},
    "portal:sip_user_password": lambda w, c: {"pk": w.own.sip_user.pk},
    "portal:sip_user_delete": lambda w, c: {"pk": w.own.sip_user.pk},
    "portal:contact_reset": lambda w, c: {"pk": w.own.contact.pk},
    "portal:contact_remove": lambda w, c: {"pk": w.own.contact.pk},
    "portal:contact_admin": lambda w, c: {"pk": w.own.contact.pk},
    "portal:did_destination": lambda w, c: {"pk": w.own.did.pk},
    "portaldomains:domain_edit": lambda w, c: {"pk": w.portal_domain.pk},
    "portaldomains:domain_delete": lambda w, c: {"pk": w.portal_domain.pk},
    "paypal-ipn-detail": lambda w, c: {"pk": w.own.ipn.pk},
    "cdr-import-detail": lambda w, c: {"pk": w.cdr_import.pk},
}
QUERIES = {"summaries:cdr_report": "?period=hourly:2026-01-01T00"}
# Portal pages anyone may open.
PUBLIC_PORTAL = {"portal:login", "portal:password_reset", "portal:password_reset_confirm",
                 "portal:verify_email_confirm", "portal:logout", "portal:brand_logo"}
# API endpoints without a queryset: the model whose view_ permission reads them.
API_MODELS = {"api_sip_user_lookup": "sipauth.sipuser", "api_ip_entry_lookup": "sipauth.ipauthentry",
              "api_cdr_import": "summaries.calldetailrecord", "call_live_list": "calls.livecall"}
# API endpoints that only accept POST (no queryset to read): only their refusal to visitors is checked.
POST_ONLY_API = {"api_cdr_import", "message-resend", "call_simulate", "alert-send-test"}
POST_ONLY_API = {"api_cdr_import", "message-resend", "call_simulate", "call_authorize", "call_answer", "call_end"}
# The schema and its browser are documentation, guarded by the API's own settings.
API_DOCUMENTATION = {"api_schema", "api_docs"}


class Bundle:
    """One customer with one of everything that belongs to a customer."""

    def __init__(self, manager=None):
        self.customer = CustomerFactory(account_manager=manager)
        self.contact = ContactFactory(customer=self.customer)
        self.sip_user = SipUserFactory(customer=self.customer)
        self.ip_entry = IpAuthEntryFactory(customer=self.customer)
        self.block = NumberBlockFactory(customer=self.customer)
        self.cli = ApprovedCLIFactory(customer=self.customer)
        self.invoice = InvoiceFactory(customer=self.customer)
        self.line = InvoiceLine.objects.create(invoice=self.invoice, description="Calls", quantity=Decimal("1"),
                                               amount=Decimal("1.00"))
        self.payment = PaymentFactory(customer=self.customer)
        self.delayed_change = DelayedChangeFactory(customer=self.customer)
        self.message = MessageFactory(customer=self.customer)
        self.route = IngressRouteFactory(customer=self.customer)
        self.cli_rule = CliRuleFactory(customer=self.customer)
        self.attempt = CallAttemptFactory(customer=self.customer)
        self.alert = AlertFactory(customer=self.customer)
        self.did = DidFactory(customer=self.customer, portal_can_edit_destination=True)
        self.subscription = PackageSubscriptionFactory(customer=self.customer)
        self.ipn = PayPalIpnFactory(customer=self.customer)
        from cdrs.models import RecalcJob

        self.recalc_job = RecalcJob.objects.create(customer=self.customer, day="2026-11-20", mode="refresh_credit",
                                                   state="done")


class World:
    def __init__(self, portal_login):
        self.staff = {role: StaffFactory(username=role.lower().replace(" ", "-"), groups=[role]) for role in ROLES}
        self.own = Bundle(manager=self.staff["Account manager"])
        self.other = Bundle()
        self.template = InvoiceTemplateFactory()
        self.broadcast = BroadcastFactory()
        self.rebuild = SummaryRebuildFactory()
        self.cdr_import = CdrImportFactory()
        self.token = ApiTokenFactory(user=self.staff["Administrator"])
        self.rate_card = RateCardFactory()
        self.rate_revision = RateRevisionFactory(card=self.rate_card)
        self.provider = ProviderFactory()
        self.portal_domain = PortalDomainFactory()
        self.gateway = GatewayFactory(provider=self.provider)
        self.package = PackageFactory()
        from calls.models import Switch

        self.switch = Switch.objects.create(name="Edge", address="192.0.2.1", rpc_url="http://192.0.2.1:5071/RPC")
        self.provider_link = ProviderRateCardFactory(provider=self.provider)
        from rates.models import RateDeckUpload

        self.deck_upload = RateDeckUpload.objects.create(card=self.rate_card, filename="deck.csv",
                                                         file="rate_decks/deck.csv",
                                                         live_from=self.rate_revision.live_from)
        from customers.models import CustomerImport

        self.customer_import = CustomerImport.objects.create(original_name="x.csv", total_rows=0)
        self.clients = {"anonymous": Client(), "portal contact": portal_login(Client(), self.own.contact)}
        for role, user in self.staff.items():
            client = Client()
            client.force_login(user)
            self.clients[role] = client


def ask(client, url, methods=("get",)):
    """The answer to the first method the view accepts; nothing it writes is kept."""
    response = None
    cookies = copy.deepcopy(client.cookies)  # a rolled-back sign-in must not leave a dangling session
    for method in methods:
        client.cookies = copy.deepcopy(cookies)
        with transaction.atomic():
            try:
                response = getattr(client, method)(url)
            except Exception as exc:  # noqa: BLE001 — an error page is an answer to report
                response = HttpResponse(repr(exc), status=500)
            transaction.set_rollback(True)
        if response.status_code != 405:
            break
    client.cookies = cookies
    return response


def refused(response):
    return response.status_code in (401, 403)


def sent_to_sign_in(response, login="/login/"):
    return response.status_code == 302 and response["Location"].startswith(login)


def answered(response):
    return response.status_code < 500 and response.status_code not in (401, 403, 404)


def expectations(pattern, world):
    """(visitor, url, expected answer as text, check) for one pattern."""
    sample = SAMPLES.get(pattern.name)
    scoped = getattr(sample, "scoped", False)
    access = view_access(pattern.callback, None, {})[0]
    bundles = [("own", world.own), ("other", world.other)] if scoped else [("", world.own)]
    for which, bundle in bundles:
        kwargs = sample(world, bundle) if sample else {}
        url = reverse(pattern.name, kwargs=kwargs) + QUERIES.get(pattern.name, "")
        _, permissions = view_access(pattern.callback, None, kwargs)
        for visitor in ["anonymous", "portal contact", *ROLES]:
            if which == "other" and visitor != "Account manager":
                continue
            label = f"{visitor} ({which} customer)" if which else visitor
            user = world.staff.get(visitor)
            if pattern.name == "portal:impersonate_start":
                # Staff only, guarded by the view itself; it does not reveal itself to others.
                if user is None:
                    yield label, url, ("post",), "404", lambda r: r.status_code == 404
                elif not user.has_perm("customers.portal_login"):
                    yield label, url, ("post",), "403", refused
                elif which == "other":
                    yield label, url, ("post",), "404", lambda r: r.status_code == 404
                else:
                    yield label, url, ("post",), "302 to the portal", lambda r: r.status_code == 302
            elif pattern.name == "apitokens:token_revoke" and user is not None:
                # A token is revoked by its owner, or by whoever manages everyone's tokens.
                if not user.has_perm("apitokens.change_apitoken"):
                    yield label, url, ("post",), "403", refused
                elif not user.has_perm("apitokens.manage_all_api_tokens"):
                    yield label, url, ("post",), "404", lambda r: r.status_code == 404
                else:
                    yield label, url, ("post",), "an answer", answered
            elif access == PANEL:
                if user is None:
                    yield label, url, ("get", "post"), "sign-in", sent_to_sign_in
                elif permissions and not user.has_perms(permissions):
                    yield label, url, ("get", "post"), "403", refused
                elif which == "other":
                    yield label, url, ("get", "post"), "404", lambda r: r.status_code == 404
                else:
                    yield label, url, ("get", "post"), "an answer", answered
            elif access == PORTAL:
                if visitor == "anonymous" and pattern.name not in PUBLIC_PORTAL:
                    yield label, url, ("get", "post"), "portal sign-in", \
                        lambda r: sent_to_sign_in(r, "/portal/login/") or r.status_code == 404
                elif visitor == "portal contact":
                    yield label, url, ("get", "post"), "no error", lambda r: r.status_code < 500 and not refused(r)
            elif access == API:
                if pattern.name in API_DOCUMENTATION:
                    continue
                methods = ("get",) if "get" in getattr(pattern.callback, "actions", {"get": 1}) and \
                    pattern.name not in POST_ONLY_API else ("post",)
                if user is None:
                    yield label, url, methods, "401/403", refused
                elif methods == ("get",):
                    model = API_MODELS.get(pattern.name) or api_model_label(pattern.callback.cls)
                    app_label, model_name = model.split(".")
                    if user.has_perm(f"{app_label}.view_{model_name}"):
                        yield label, url, methods, "an answer", answered
                    else:
                        yield label, url, methods, "403", refused


def api_model_label(view_class):
    """The model an API view reads: its queryset's, else its serializer's."""
    queryset = getattr(view_class, "queryset", None)
    model = queryset.model if queryset is not None else view_class.serializer_class.Meta.model
    return f"{model._meta.app_label}.{model._meta.model_name}"


def test_every_pattern_is_declared():
    assert undeclared_patterns() == []


def test_every_pattern_with_arguments_has_a_sample():
    missing = [p.name or p.route for p in url_patterns()
               if "<" in p.route and p.name not in SAMPLES and not p.route.lstrip("^").startswith(("admin/", "media/"))]
    assert missing == []


def matrix_patterns():
    return [p for p in url_patterns() if p.name and not p.route.lstrip("^").startswith(("admin/", "media/"))]


# One test per top-level path, so the matrix spreads over the test workers.
SECTIONS = sorted({p.route.split("/")[0] for p in matrix_patterns()})


@pytest.mark.parametrize("section", SECTIONS)
def test_permission_matrix(portal_login, section):
    world = World(portal_login)
    wrong, checked = [], 0
    for pattern in matrix_patterns():
        if pattern.route.split("/")[0] != section:
            continue
        if view_access(pattern.callback, None, {})[0] in (PUBLIC, ADMIN):
            continue
        for visitor, url, methods, expected, check in expectations(pattern, world):
            response = ask(world.clients[visitor.split(" (")[0]], url, methods)
            checked += 1
            if not check(response):
                wrong.append(f"{url} as {visitor}: expected {expected}, got {response.status_code}")
    assert wrong == [], "\n".join(wrong)
    assert checked or section in ("login", "logout", "healthz", "")


def test_matrix_covers_panel_portal_and_api():
    assert {"customers", "invoicing", "portal", "api", "sipauth", "settings", "paypal"} <= set(SECTIONS)


# A view added without a declaration is caught by the collector the matrix relies on.

class ForgottenView(View):
    def get(self, request):
        return HttpResponse("anything")


urlpatterns = [path("forgotten/", ForgottenView.as_view(), name="forgotten"), path("", include("connex.urls"))]


def test_a_view_without_permission_is_flagged_and_refused(settings, client):
    settings.ROOT_URLCONF = __name__
    clear_url_caches()
    try:
        assert undeclared_patterns() == ["forgotten/"]
        client.force_login(StaffFactory(username="root"))
        assert client.get("/forgotten/").status_code == 403
    finally:
        clear_url_caches()
