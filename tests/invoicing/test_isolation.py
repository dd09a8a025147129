"""Scheduled invoicing carries on past a customer whose invoices cannot be generated."""

from datetime import UTC, date, datetime
from unittest import mock

import pytest

from invoicing import services
from invoicing.models import Invoice
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_auto_generation_skips_a_failing_customer_and_invoices_the_others(usage):
    first, broken, last = (CustomerFactory(invoice_schedule="daily") for _ in range(3))
    for customer in (first, broken, last):
        usage(customer, date(2026, 11, 1))
    real = services.invoice_create

    def create(*, customer, **kwargs):
        if customer.pk == broken.pk:
            raise ArithmeticError("numeric field overflow")
        return real(customer=customer, **kwargs)

    with mock.patch.object(services, "invoice_create", create):
        created = services.invoice_auto_generate(now=datetime(2026, 11, 2, 12, tzinfo=UTC))

    assert sorted(invoice.customer_id for invoice in created) == [first.pk, last.pk]
    assert not Invoice.objects.filter(customer=broken).exists()


@pytest.mark.parametrize("value", ["monthly:9999-12-01", "weekly:9999-12-27", "daily:9999-12-31"])
def test_a_period_ending_after_the_year_9999_is_a_validation_error(value):
    from django.core.exceptions import ValidationError

    from summaries.periods import Period

    with pytest.raises(ValidationError):
        Period.from_key(value)
