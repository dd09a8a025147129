"""Demo customers for `manage.py seed_demo`: every status and several currencies, with contacts."""

import random
from datetime import time
from decimal import Decimal

from django.contrib.auth import get_user_model

from .models import AllowedWindow, Customer, ResellerGroup, Tag

COMPANIES = [
    "Acme Telecom", "Blue Ocean VoIP", "Northwind Voice", "Globex Carrier", "Initech Networks",
    "Umbrella Comms", "Stark Voice", "Wayne Telecom", "Hooli Talk", "Pied Piper Calls", "Vandelay Voice",
    "Soylent Networks", "Tyrell Telecom", "Cyberdyne Voice", "Aperture Comms", "Black Mesa Telecom",
    "Oscorp Voice", "Massive Dynamic", "Wonka Calls", "Gringotts Telecom", "Dunder Mifflin Voice",
    "Prestige Worldwide", "Monarch Telecom", "Sirius Cybernetics", "Nakatomi Networks", "Zorg Voice",
    "Octan Telecom", "Genco Calls", "Bluth Communications", "Sterling Cooper Voice", "Kwik-E Telecom",
    "Duff Networks", "Planet Express Voice", "MomCorp Telecom", "Lacuna Calls", "Rekall Voice",
    "Ollivander Networks", "Krusty Telecom", "Spacely Voice", "Cogswell Comms", "Gekko Telecom",
    "Virtucon Voice", "Ingen Networks", "Weyland Telecom", "Buy n Large Voice", "Omni Consumer Calls",
    "Abstergo Telecom", "Veridian Voice", "Hanso Networks", "Paper Street Telecom",
]
CURRENCIES = ["USD", "USD", "USD", "EUR", "EUR", "GBP", "GBP", "CAD", "AUD", "INR"]
COUNTRIES = {"USD": "US", "EUR": "DE", "GBP": "GB", "CAD": "CA", "AUD": "AU", "INR": "IN"}
TIMEZONES = {"US": "America/New_York", "DE": "Europe/Berlin", "GB": "Europe/London", "CA": "America/Toronto",
             "AU": "Australia/Sydney", "IN": "Asia/Kolkata"}
STATUSES = ["active"] * 6 + ["inactive", "penalty", "pending_approval"]
TAGS = ["wholesale", "retail", "premium", "cli-route", "cc-route", "trial", "enterprise"]
FIRST = ["Alice", "Bob", "Carla", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Liam"]
LAST = ["Smith", "Novak", "García", "Okafor", "Tanaka", "Müller", "Rossi", "Khan", "Dubois", "Silva"]


def demo_mobile(country, rng):
    """A mobile number that passes the contact's own validation: the country's example mobile
    number from libphonenumber with its last digits varied, kept only when still valid."""
    import phonenumbers

    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    national = str(example.national_number)
    for _ in range(50):
        candidate = phonenumbers.PhoneNumber(country_code=example.country_code,
                                             national_number=int(f"{national[:-3]}{rng.randint(0, 999):03d}"))
        if phonenumbers.is_valid_number(candidate):
            return phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164)
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)


def load_demo_customers(stdout):
    from contacts.models import Contact

    rng = random.Random(20261125)
    User = get_user_model()
    managers = []
    for username, first, last in [("maria", "Maria", "Lopez"), ("tom", "Tom", "Becker"), ("sara", "Sara", "Ali")]:
        user, created = User.objects.get_or_create(username=username, defaults={
            "first_name": first, "last_name": last, "is_staff": True, "email": f"{username}@connex.local"})
        if created:
            user.set_unusable_password()
            user.save()
        managers.append(user)
    resellers = [ResellerGroup.objects.get_or_create(name=name)[0] for name in ["Direct", "Partner EU", "Partner US"]]
    tags = [Tag.objects.get_or_create(name=name)[0] for name in TAGS]

    created = 0
    for index, name in enumerate(COMPANIES):
        if Customer.objects.filter(name__iexact=name).exists():
            continue
        currency = CURRENCIES[index % len(CURRENCIES)]
        country = COUNTRIES[currency]
        status = STATUSES[index % len(STATUSES)]
        customer = Customer.objects.create(
            name=name, currency=currency, status=status, country=country, timezone=TIMEZONES[country],
            channels=rng.choice([10, 30, 50, 100, 250, 500]), flow_speed=rng.choice([5, 10, 20, 50]),
            debit_limit=Decimal(rng.choice([0, 50, 100, 500, 1000])),
            minimum_payment=Decimal(rng.choice([10, 20, 50, 100])),
            tax_percent=Decimal({"GB": "20", "DE": "19", "IN": "18", "AU": "10"}.get(country, "0")),
            account_manager=rng.choice(managers), reseller=rng.choice(resellers),
            invoice_schedule=rng.choice(["none", "daily", "weekly", "monthly", "monthly"]),
            invoice_due_days=rng.choice([7, 14, 30]),
            website=f"https://www.{name.lower().replace(' ', '').replace('-', '')}.example",
            paypal_email=f"billing@{name.lower().replace(' ', '').replace('-', '')}.example",
            external_accounting_id=f"ACC-{1000 + index}", city=rng.choice(["Springfield", "Riverton", "Lakeside"]),
            address_line1=f"{rng.randint(1, 400)} Exchange Street", postcode=f"{rng.randint(10000, 99999)}",
            daily_spend_limit=rng.choice([None, None, Decimal("250"), Decimal("1000")]),
            vars=f'[routing]\nprofile = "{rng.choice(["gold", "silver", "bronze"])}"\n',
            topup_currencies=[c for c in ["USD", "EUR"] if c != currency][: rng.randint(0, 2)],
        )
        customer.tags.set(rng.sample(tags, rng.randint(0, 3)))
        if index % 7 == 3:
            AllowedWindow.objects.create(customer=customer, start=time(8), end=time(20))
        slug = name.lower().replace(" ", "").replace("-", "")
        for number in range(rng.randint(1, 3)):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            Contact.objects.create(
                customer=customer, name=f"{first} {last}",
                email=f"{first.lower()}.{number}@{slug}.example",
                mobile=demo_mobile(country, rng),
                contact_type=["billing", "technical", "noc", "sales"][number % 4],
                email_verified=rng.random() < 0.8, mobile_verified=rng.random() < 0.6,
            )
        created += 1
    stdout.write(f"customers: {created} created ({Customer.objects.count()} in all)")
