"""factory-boy factories for every model, in one place."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from contacts.models import Contact
from customers.models import AllowedWindow, ApprovedCLI, Customer, ResellerGroup, Tag
from numberblocks.models import NumberBlock
from sipauth.models import IpAuthEntry, SipUser
from summaries.models import CallDetailRecord, HourlySummary


def permissions_named(*keys):
    """Permission rows for "app_label.codename" keys."""
    from django.contrib.auth.models import Permission

    found = []
    for key in keys:
        app_label, codename = key.split(".", 1)
        found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return found


def role_group(name):
    from django.contrib.auth.models import Group

    from staff.roles import roles_apply

    group = Group.objects.filter(name=name).first()
    if group is None:  # a flushed database (live-server tests): lay the roles down again
        roles_apply()
        group = Group.objects.get(name=name)
    return group


class StaffFactory(factory.django.DjangoModelFactory):
    """A staff member; by default an Administrator.

    `groups=["Support"]` gives roles instead, `perms=["customers.view_customer"]` exact
    permissions (and no role unless `groups` is given too).
    """

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@connex.test")
    is_staff = True
    password = factory.django.Password("correct-horse-battery")

    _default_groups = ("Administrator",)
    _default_perms = ()

    @classmethod
    def _create(cls, model_class, *args, groups=None, perms=None, **kwargs):
        user = super()._create(model_class, *args, **kwargs)
        if groups is None:
            groups = () if perms is not None else cls._default_groups
        if perms is None:
            perms = cls._default_perms
        if groups:
            user.groups.add(*[role_group(name) for name in groups])
        if perms:
            user.user_permissions.add(*permissions_named(*perms))
        return user


def grant(user, *perms):
    """Give a user permissions named "app_label.codename"; returns the user, freshly loaded."""
    from django.contrib.auth.models import Permission

    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return type(user).objects.get(pk=user.pk)  # has_perm caches; a fresh copy sees the new rights


class ApiTokenFactory(factory.django.DjangoModelFactory):
    """An API token made by the service; its one-time key is on `.key`."""

    class Meta:
        model = "apitokens.ApiToken"

    user = factory.SubFactory(StaffFactory)
    name = factory.Sequence(lambda n: f"token {n}")
    scopes = ("read", "write")
    expires_at = None

    @classmethod
    def _create(cls, model_class, *, user, name, scopes, expires_at, **kwargs):
        from apitokens.services import api_token_create

        token, key = api_token_create(user=user, name=name, scopes=scopes, expires_at=expires_at)
        token.key = key
        return token


class ResellerGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResellerGroup

    name = factory.Sequence(lambda n: f"Reseller {n}")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"tag{n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n:05d}")
    currency = "USD"
    status = Customer.Status.ACTIVE
    channels = 30
    flow_speed = 10
    debit_limit = Decimal("100.00")
    balance = Decimal("50.00")


class AllowedWindowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AllowedWindow

    customer = factory.SubFactory(CustomerFactory)


class ApprovedCLIFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApprovedCLI

    customer = factory.SubFactory(CustomerFactory)
    number = factory.Sequence(lambda n: f"+4420718{n:05d}")
    approved_at = factory.Faker("date_time", tzinfo=UTC)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@example.test")
    contact_type = Contact.Type.BILLING


class CallDetailRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CallDetailRecord

    call_id = factory.Sequence(lambda n: f"call-{n:08d}")
    customer = factory.SubFactory(CustomerFactory)
    start_time = factory.Faker("date_time_this_month", tzinfo=UTC)
    answer_time = factory.LazyAttribute(lambda o: o.start_time)
    end_time = factory.LazyAttribute(lambda o: o.start_time + timedelta(seconds=o.duration))
    duration = 60
    billed_duration = 60
    cli = "+442071838750"
    dialed_number = "+14155550123"
    destination = "United States - Fixed"
    sip_code = 200
    pdd_ms = 1200
    charge = Decimal("0.010000")
    cost = Decimal("0.006000")


class HourlySummaryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HourlySummary

    customer = factory.SubFactory(CustomerFactory)
    destination = "United States - Fixed"
    attempts = 10
    answered = 6
    duration = 600
    billed_duration = 600
    pdd_ms_total = 12000
    charge = Decimal("1.000000")
    cost = Decimal("0.600000")


class NumberBlockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NumberBlock

    customer = factory.SubFactory(CustomerFactory)
    start = factory.Sequence(lambda n: 900000 + n * 100)
    end = factory.LazyAttribute(lambda o: o.start + 99)


class SipUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SipUser
        skip_postgeneration_save = True

    customer = factory.SubFactory(CustomerFactory)
    extension = factory.Sequence(lambda n: 700000 + n)
    channels = 2
    flow_speed = 1

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or "sip-secret-123")
        if create:
            obj.save(update_fields=["ha1", "password_changed"])


class IpAuthEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IpAuthEntry

    customer = factory.SubFactory(CustomerFactory)
    address = factory.Sequence(lambda n: f"192.0.2.{n % 250 + 1}")
    port = 5060


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "messaging.Message"

    channel = "email"
    to = factory.Sequence(lambda n: f"recipient{n}@example.test")
    subject = "Hello"
    body = "Body"
    kind = "general"


class BroadcastFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "messaging.Broadcast"

    channel = "email"
    subject = "News"
    body = "Hello {{ contact.name }}"


class PortalStaffFactory(StaffFactory):
    """A staff member who sees customers and their contacts and holds the Portal Login permission."""

    _default_groups = ()
    _default_perms = ("customers.view_customer", "customers.view_all_customers", "contacts.view_contact",
                     "customers.portal_login")


class InvoiceTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "invoicing.InvoiceTemplate"

    name = factory.Sequence(lambda n: f"Template {n}")
    html = "<h1>Invoice {{ invoice.number }}</h1>{% for line in lines %}<p>{{ line.description }}</p>{% endfor %}"
    css = "h1 { font-size: 14pt; }"


class InvoiceFactory(factory.django.DjangoModelFactory):
    """A draft usage invoice for one UTC day; issue it with invoicing.services.invoice_issue."""

    class Meta:
        model = "invoicing.Invoice"

    customer = factory.SubFactory(CustomerFactory)
    period_start = factory.Sequence(lambda n: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=n))
    period_end = factory.LazyAttribute(lambda o: o.period_start + timedelta(days=1))
    currency = factory.LazyAttribute(lambda o: o.customer.currency)


class PaymentFactory(factory.django.DjangoModelFactory):
    """A raw payment row (no balance effect); use invoicing.services.payment_record for real ones."""

    class Meta:
        model = "invoicing.Payment"

    customer = factory.SubFactory(CustomerFactory)
    amount = Decimal("100.00")
    currency = factory.LazyAttribute(lambda o: o.customer.currency)
    credited_amount = factory.LazyAttribute(lambda o: o.amount)
    status = "pending"


class DelayedChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "customers.DelayedChange"

    customer = factory.SubFactory(CustomerFactory)
    requested_by = factory.SubFactory(StaffFactory)
    due_at = factory.Faker("past_datetime", tzinfo=UTC)
    changes = factory.LazyAttribute(lambda o: {"channels": [o.customer.channels, o.customer.channels + 10]})


class SummaryRebuildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "summaries.SummaryRebuild"

    date_from = factory.Faker("date_this_year")
    date_to = factory.LazyAttribute(lambda o: o.date_from + timedelta(days=1))
    hours_total = 48


class CdrImportFactory(factory.django.DjangoModelFactory):
    """A recorded import run; the ledger entries it would have posted are not made."""

    class Meta:
        model = "summaries.CdrImport"

    origin = "file"
    name = factory.Sequence(lambda n: f"switch-a-{n:04d}.csv")
    rows = 100
    inserted = 98
    charged = Decimal("3.100000")


class DailySummaryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "summaries.DailySummary"

    customer = factory.SubFactory(CustomerFactory)
    attempts = 10
    answered = 6
    duration = 600
    billed_duration = 600
    pdd_ms_total = 12000
    charge = Decimal("1.000000")
    cost = Decimal("0.600000")


class RateCardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "rates.RateCard"

    name = factory.Sequence(lambda n: f"Card {n}")
    currency = "USD"


class RateRevisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "rates.RateRevision"

    card = factory.SubFactory(RateCardFactory)
    live_from = datetime(2026, 1, 1, tzinfo=UTC)


class RateRowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "rates.RateRow"

    revision = factory.SubFactory(RateRevisionFactory)
    prefix = factory.Sequence(lambda n: f"9{n:05d}")
    name = "Somewhere"
    rate = Decimal("0.010000")


class IngressRouteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "routing.IngressRoute"

    customer = factory.SubFactory(CustomerFactory)
    rate_card = factory.SubFactory(RateCardFactory, currency=factory.SelfAttribute("..customer.currency"))


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "providers.Provider"

    name = factory.Sequence(lambda n: f"Carrier {n}")
    currency = "USD"


class GatewayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "providers.Gateway"

    provider = factory.SubFactory(ProviderFactory)
    host = factory.Sequence(lambda n: f"203.0.113.{n % 250 + 1}")
    port = factory.Sequence(lambda n: 5060 + n)


class ProviderRateCardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "providers.ProviderRateCard"

    provider = factory.SubFactory(ProviderFactory)
    card = factory.SubFactory(RateCardFactory, kind="provider", currency=factory.SelfAttribute("..provider.currency"))


class CliRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "clirules.CliRule"

    customer = factory.SubFactory(CustomerFactory)


class CallAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "calls.CallAttempt"

    customer = factory.SubFactory(CustomerFactory)
    at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    dialed = "447911123456"
    allowed = True


class AlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "alerts.Alert"

    customer = factory.SubFactory(CustomerFactory)
    title = factory.Sequence(lambda n: f"Alert {n}")
    area = "balance"
    operator = "lt"
    threshold = Decimal("10")
    recipients = factory.LazyFunction(lambda: ["noc@example.test"])


class AlertEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "alerts.AlertEvent"

    alert = factory.SubFactory(AlertFactory)
    customer = factory.LazyAttribute(lambda o: o.alert.customer)
    title = factory.LazyAttribute(lambda o: o.alert.title)
    kind = "fired"
    value = Decimal("5")
    threshold = Decimal("10")
    area = "balance"
    operator = "lt"


class DidFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "dids.Did"

    number = factory.Sequence(lambda n: f"4420795{n:05d}")
    provider = factory.SubFactory(ProviderFactory)


class PackageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "packages.Package"

    name = factory.Sequence(lambda n: f"Package {n}")
    currency = "USD"
    retail = Decimal("10.0000")
    cost = Decimal("4.0000")


class PackageSubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "packages.PackageSubscription"

    customer = factory.SubFactory(CustomerFactory)
    package = factory.SubFactory(PackageFactory, currency=factory.SelfAttribute("..customer.currency"))
    start = date(2026, 1, 1)


class PortalDomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "portaldomains.PortalDomain"

    host = factory.Sequence(lambda n: f"portal{n}.brand.example")
    display_name = factory.Sequence(lambda n: f"Brand {n}")
    support_email = "support@brand.example"


class PayPalTopupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "paypal.PayPalTopup"

    reference = factory.Sequence(lambda n: f"topup-ref-{n}")
    customer = factory.SubFactory(CustomerFactory)
    amount = Decimal("25.00")
    currency = factory.SelfAttribute("customer.currency")


class PayPalIpnFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "paypal.PayPalIpn"

    body = b"txn_id=FACTORY&payment_status=Completed"
    txn_id = factory.Sequence(lambda n: f"FACTORY{n}")
    payment_status = "Completed"
    customer = factory.SubFactory(CustomerFactory)


class SwitchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "calls.Switch"

    name = factory.Sequence(lambda n: f"kam-{n}")
    address = factory.Sequence(lambda n: f"10.20.{n // 250}.{n % 250 + 1}")
    rpc_url = factory.LazyAttribute(lambda s: f"http://{s.address}:5071/RPC")
