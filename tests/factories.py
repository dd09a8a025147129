"""factory-boy factories for every model, in one place."""

from datetime import UTC, timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from contacts.models import Contact
from customers.models import AllowedWindow, ApprovedCLI, Customer, ResellerGroup, Tag
from summaries.models import CallDetailRecord, HourlySummary


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@connex.test")
    is_staff = True
    password = factory.django.Password("correct-horse-battery")


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


class SummaryRebuildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "summaries.SummaryRebuild"

    date_from = factory.Faker("date_this_year")
    date_to = factory.LazyAttribute(lambda o: o.date_from + timedelta(days=1))
    hours_total = 48


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
