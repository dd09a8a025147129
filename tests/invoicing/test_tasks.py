from datetime import date

import pytest
from django.conf import settings

from invoicing.models import Invoice
from invoicing.tasks import invoice_auto_generate_task
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_daily_periodic_task_is_declared():
    spec = settings.PERIODIC_TASKS["invoice-auto-generate"]
    assert spec["task"] == "invoicing.tasks.invoice_auto_generate_task" and spec["crontab"] == "30 0 * * *"


def test_periodic_task_invoices_every_scheduled_customer_once(usage):
    daily = CustomerFactory(invoice_schedule="daily")
    unscheduled = CustomerFactory(invoice_schedule="none")
    for customer in (daily, unscheduled):
        usage(customer, date(2026, 11, 1))
    assert invoice_auto_generate_task.delay().get() == 1
    invoice_auto_generate_task.delay()
    invoices = Invoice.objects.all()
    assert [(i.customer_id, i.status, bool(i.pdf)) for i in invoices] == [(daily.pk, "issued", True)]
    assert not Invoice.objects.filter(customer=unscheduled).exists()
