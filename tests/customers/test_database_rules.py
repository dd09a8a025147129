"""Rules save() promises, held by PostgreSQL for every other writer (update(), imports, raw SQL)."""

import pytest
from django.db import IntegrityError, connection, transaction

from customers.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_currency_cannot_change_through_queryset_update():
    customer = CustomerFactory(currency="USD")
    with pytest.raises(IntegrityError, match=r"The account currency cannot change after the customer is created "
                                             rf"\(customer {customer.pk}: USD to EUR\)"), transaction.atomic():
        Customer.objects.filter(pk=customer.pk).update(currency="EUR")
    assert Customer.objects.get(pk=customer.pk).currency == "USD"


def test_currency_cannot_change_through_raw_sql():
    customer = CustomerFactory(currency="USD")
    with pytest.raises(IntegrityError, match="The account currency cannot change"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute("UPDATE customers_customer SET currency = 'GBP' WHERE id = %s", [customer.pk])
    assert Customer.objects.get(pk=customer.pk).currency == "USD"


def test_other_fields_still_change_through_update():
    customer = CustomerFactory(currency="USD", channels=5)
    Customer.objects.filter(pk=customer.pk).update(channels=9, currency="USD")
    assert Customer.objects.get(pk=customer.pk).channels == 9
