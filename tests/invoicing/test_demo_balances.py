"""A freshly seeded database reconciles: every balance equals its payments minus its CDR charges."""

import io

import pytest
from django.core.management import call_command

from customers.models import Customer

pytestmark = pytest.mark.django_db


def test_check_balances_reports_no_difference_after_seed_demo(monkeypatch):
    from summaries import demo

    # Every loader runs; four days of calls instead of thirty keep it quick (the balances do not
    # depend on the volume).
    rows = demo.demo_cdr_rows
    monkeypatch.setattr(demo, "demo_cdr_rows", lambda customers, **kwargs: rows(customers, days=4))
    call_command("seed_demo", stdout=io.StringIO())
    assert Customer.objects.filter(balance__lt=0).exists()  # the demo still shows customers in debt

    out = io.StringIO()
    call_command("check_balances", stdout=out)

    assert out.getvalue().strip().splitlines()[-1] == "0 balance difference(s).", out.getvalue()
