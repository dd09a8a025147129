import io

import pytest

from contacts.models import Contact
from customers.demo import load_demo_customers

pytestmark = pytest.mark.django_db


def test_every_seeded_contact_passes_its_own_validation():
    load_demo_customers(io.StringIO())
    contacts = list(Contact.objects.select_related("customer"))
    assert len(contacts) > 50
    failures = {}
    for contact in contacts:
        try:
            contact.full_clean()
        except Exception as exc:  # noqa: BLE001 — collect every failure to name them all
            failures[contact.mobile] = exc
    assert failures == {}
    assert len({contact.mobile for contact in contacts}) > len(contacts) * 0.9  # varied, not one example
