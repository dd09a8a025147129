"""Board row groups: counts and figures per group from SQL, in a fixed number of queries."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import CustomerFactory, ResellerGroupFactory

pytestmark = pytest.mark.django_db


def _board_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_groups_by_status_then_currency_with_counts_and_sums(staff_client):
    CustomerFactory(status="active", currency="EUR", balance=Decimal("100"), debit_limit=Decimal("50"), channels=10)
    CustomerFactory(status="active", currency="EUR", balance=Decimal("-40"), debit_limit=Decimal("50"), channels=5,
                    channels_in_use=3)
    CustomerFactory(status="active", currency="GBP", balance=Decimal("7"), channels=1)
    CustomerFactory(status="inactive", currency="EUR", balance=Decimal("1"), channels=2)
    response = staff_client.get("/customers/?group=status&group=currency")
    groups = {group["label"]: group for group in response.context["groups"]}
    active = groups["Active"]
    assert (active["count"], active["balance"], active["channels"], active["channels_in_use"]) == (
        3, Decimal("67"), 16, 3)
    eur = next(child for child in active["children"] if child["label"] == "EUR")
    assert (eur["count"], eur["balance"], eur["balance_avg"], eur["debit_limit"]) == (
        2, Decimal("60"), Decimal("30"), Decimal("100"))
    assert groups["Inactive"]["count"] == 1
    assert 'id="group-table"' in response.content.decode()


def test_grouping_keeps_the_filter_and_takes_a_fixed_number_of_queries(staff_client):
    for index in range(3):
        CustomerFactory(reseller=ResellerGroupFactory(name=f"R{index}"), status="active")
    few = _board_queries(staff_client, "/customers/?group=reseller&group=status")
    for index in range(3, 15):
        CustomerFactory(reseller=ResellerGroupFactory(name=f"R{index}"), status="active")
    CustomerFactory(status="inactive")
    many = _board_queries(staff_client, "/customers/?group=reseller&group=status")
    assert few == many
    filtered = staff_client.get("/customers/?group=reseller&status=inactive").context["groups"]
    assert [(group["label"], group["count"]) for group in filtered] == [("No reseller", 1)]


def test_grouped_board_exports_its_groups_as_csv(staff_client):
    CustomerFactory(currency="EUR", balance=Decimal("10.5"))
    CustomerFactory(currency="EUR", balance=Decimal("2"))
    response = staff_client.get("/customers/?group=currency&_export=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["Currency", "Customers", "Balance"]
    assert rows[1][:3] == ["EUR", "2", "12.50"]
