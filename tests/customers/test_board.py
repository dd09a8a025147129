import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from tests.factories import (
    CallDetailRecordFactory,
    ContactFactory,
    CustomerFactory,
    ResellerGroupFactory,
    StaffFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db


def names(response):
    return [row.record.name for row in response.context["table"].paginated_rows]


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/customers/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/customers/")


def test_non_staff_user_cannot_open_the_panel(client):
    client.force_login(StaffFactory(username="outsider", is_staff=False))
    response = client.get("/customers/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_board_lists_customers_with_their_figures(staff_client):
    CustomerFactory(name="Acme Telecom", balance=Decimal("-12.50"), currency="EUR")
    content = staff_client.get("/customers/").content.decode()
    assert "Acme Telecom" in content and "-12.50" in content and "EUR" in content


@pytest.mark.parametrize("query,expected", [
    ("status=penalty", ["Penalised"]),
    ("status=active&status=inactive", ["Alpha", "Beta"]),
    ("currency=GBP", ["Beta"]),
    ("balance_min=10&balance_max=100", ["Alpha"]),
    ("balance_min=-1000&balance_max=0", ["Penalised"]),
])
def test_board_filters(staff_client, query, expected):
    CustomerFactory(name="Alpha", status="active", currency="USD", balance=Decimal("50"))
    CustomerFactory(name="Beta", status="inactive", currency="GBP", balance=Decimal("500"))
    CustomerFactory(name="Penalised", status="penalty", currency="USD", balance=Decimal("-20"))
    assert names(staff_client.get(f"/customers/?{query}")) == expected


def test_board_filters_by_tag_reseller_and_account_manager(staff_client):
    manager = StaffFactory(username="maria")
    reseller = ResellerGroupFactory(name="Partner EU")
    tag = TagFactory(name="wholesale")
    tagged = CustomerFactory(name="Tagged")
    tagged.tags.add(tag)
    CustomerFactory(name="Resold", reseller=reseller)
    CustomerFactory(name="Managed", account_manager=manager)
    CustomerFactory(name="Plain")
    assert names(staff_client.get(f"/customers/?tags={tag.pk}")) == ["Tagged"]
    assert names(staff_client.get(f"/customers/?reseller={reseller.pk}")) == ["Resold"]
    assert names(staff_client.get(f"/customers/?account_manager={manager.pk}")) == ["Managed"]


def test_board_filters_by_created_range(staff_client):
    old = CustomerFactory(name="Old")
    Customer.objects.filter(pk=old.pk).update(created=datetime(2025, 1, 10, tzinfo=UTC))
    CustomerFactory(name="New")
    assert names(staff_client.get("/customers/?created_after=2025-01-01&created_before=2025-01-31")) == ["Old"]


def test_invalid_filter_value_is_reported_not_crashing(staff_client):
    response = staff_client.get("/customers/?balance_min=lots")
    assert response.status_code == 200
    assert response.context["filter"].errors


@pytest.mark.parametrize("term", ["acme", "wholesale", "pay@acme.example", "acme.example", "ACC-77",
                                  "Dana Scully", "dana@acme.example"])
def test_search_matches_every_documented_field(staff_client, term):
    acme = CustomerFactory(name="Acme Telecom", paypal_email="pay@acme.example",
                           website="https://www.acme.example", external_accounting_id="ACC-77")
    acme.tags.add(TagFactory(name="wholesale"))
    ContactFactory(customer=acme, name="Dana Scully", email="dana@acme.example")
    CustomerFactory(name="Other Carrier")
    assert names(staff_client.get("/customers/", {"q": term})) == ["Acme Telecom"]


def test_sort_by_balance_both_ways(staff_client):
    for name, balance in [("Mid", "10"), ("Low", "-5"), ("High", "99")]:
        CustomerFactory(name=name, balance=Decimal(balance))
    assert names(staff_client.get("/customers/?sort=balance")) == ["Low", "Mid", "High"]
    assert names(staff_client.get("/customers/?sort=-balance")) == ["High", "Mid", "Low"]


def test_pagination_and_page_size(staff_client):
    CustomerFactory.create_batch(30)
    response = staff_client.get("/customers/?per_page=25&page=2")
    assert len(names(response)) == 5


def test_query_count_does_not_grow_with_page_size(staff_client):
    tags = TagFactory.create_batch(3)
    for customer in CustomerFactory.create_batch(120, account_manager=StaffFactory(username="am"),
                                                 reseller=ResellerGroupFactory()):
        customer.tags.set(tags)
    counts = []
    for per_page in (25, 100):
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(f"/customers/?per_page={per_page}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_column_chooser_is_remembered_per_staff_member(client, staff):
    CustomerFactory(name="Acme", external_accounting_id="ACC-1")
    client.force_login(staff)
    response = client.post("/preferences/columns/customers/", data='["external_accounting_id", "status"]',
                           content_type="application/json")
    assert response.status_code == 200
    table = client.get("/customers/").context["table"]
    shown = [column.name for column in table.columns]
    assert shown == ["selection", "name", "external_accounting_id", "status"]

    other = StaffFactory(username="bob")
    client.force_login(other)
    shown_for_other = [column.name for column in client.get("/customers/").context["table"].columns]
    assert "external_accounting_id" not in shown_for_other and "balance" in shown_for_other


def test_column_chooser_reset_restores_defaults(staff_client):
    staff_client.post("/preferences/columns/customers/", data='["status"]', content_type="application/json")
    staff_client.post("/preferences/columns/customers/", data="[]", content_type="application/json")
    shown = [column.name for column in staff_client.get("/customers/").context["table"].columns]
    assert "balance" in shown and "tags" in shown


def test_column_chooser_rejects_malformed_input(staff_client):
    response = staff_client.post("/preferences/columns/customers/", data='{"x": 1}',
                                 content_type="application/json")
    assert response.status_code == 400


def test_csv_export_holds_the_whole_filtered_table(staff_client):
    CustomerFactory.create_batch(60, status="active")
    CustomerFactory(name="Inactive One", status="inactive")
    response = staff_client.get("/customers/?status=active&per_page=25&_export=csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["Name", "Status", "Currency"]
    assert len(rows) == 61
    assert all(row[1] == "Active" for row in rows[1:])


def test_delete_asks_for_confirmation_listing_each_customer(staff_client):
    first, second = CustomerFactory(name="Gone One"), CustomerFactory(name="Gone Two")
    response = staff_client.post("/customers/delete/", {"pk": [first.pk, second.pk]})
    content = response.content.decode()
    assert response.status_code == 200
    assert "Delete 2 customers?" in content and "Gone One" in content and "Gone Two" in content
    assert Customer.objects.count() == 2

    response = staff_client.post("/customers/delete/", {"pk": [first.pk, second.pk], "confirm": "yes"})
    assert response.status_code == 302
    assert not Customer.objects.exists()


def test_delete_of_customer_with_call_records_is_refused(staff_client):
    keeper = CustomerFactory(name="Has Calls")
    CallDetailRecordFactory(customer=keeper)
    other = CustomerFactory(name="No Calls")
    response = staff_client.post("/customers/delete/", {"pk": [keeper.pk, other.pk], "confirm": "yes"})
    content = response.content.decode()
    assert "has call records" in content
    assert Customer.objects.count() == 2


def test_delete_all_matching_the_filter(staff_client):
    CustomerFactory.create_batch(3, status="inactive")
    CustomerFactory(name="Stays", status="active")
    data = {"select_all_matching": "1", "filter_query": "status=inactive", "confirm": "yes"}
    staff_client.post("/customers/delete/", data)
    assert list(Customer.objects.values_list("name", flat=True)) == ["Stays"]


def test_status_quick_filter_offers_every_status(staff_client):
    content = staff_client.get("/customers/").content.decode()
    for label in ("Active", "Inactive", "Penalty", "Pending approval"):
        assert f">{label}</a>" in content
