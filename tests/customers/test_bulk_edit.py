from decimal import Decimal
from urllib.parse import urlencode

import pytest
from pghistory.models import Events

from customers.models import Customer
from tests.factories import CustomerFactory, ResellerGroupFactory, TagFactory

pytestmark = pytest.mark.django_db


def bulk_edit(client, customers=(), **fields):
    data = {"pk": [c.pk for c in customers], "apply": "1", **fields}
    return client.post("/customers/bulk-edit/", data)


def test_form_lists_how_many_customers_are_edited(staff_client):
    customers = CustomerFactory.create_batch(3)
    response = staff_client.post("/customers/bulk-edit/", {"pk": [c.pk for c in customers]})
    assert "Edit 3 customers" in response.content.decode()


def test_only_ticked_fields_change(staff_client):
    reseller = ResellerGroupFactory(name="North")
    first = CustomerFactory(channels=5, flow_speed=3, debit_limit=Decimal("10"))
    second = CustomerFactory(channels=7, flow_speed=4, debit_limit=Decimal("20"))
    response = bulk_edit(staff_client, [first, second], change_channels="on", channels="40",
                         flow_speed="99", debit_limit="0",  # filled in but not ticked: ignored
                         change_reseller="on", reseller=reseller.pk)
    assert response.status_code == 302
    for customer, cps, limit in ((first, 3, Decimal("10")), (second, 4, Decimal("20"))):
        customer.refresh_from_db()
        assert customer.channels == 40 and customer.reseller == reseller
        assert customer.flow_speed == cps and customer.debit_limit == limit


def test_ticked_field_can_be_cleared_only_when_blank_is_allowed(staff_client):
    customer = CustomerFactory(reseller=ResellerGroupFactory(), channels=5)
    response = bulk_edit(staff_client, [customer], change_reseller="on", reseller="",
                         change_channels="on", channels="")
    assert response.status_code == 422
    assert "Enter a value, or untick this field" in response.content.decode()
    customer.refresh_from_db()
    assert customer.reseller is not None and customer.channels == 5


def test_tags_are_added_and_removed(staff_client):
    old = TagFactory(name="legacy")
    customer = CustomerFactory()
    customer.tags.add(old, TagFactory(name="keep"))
    bulk_edit(staff_client, [customer], add_tags="Gold, new one", remove_tags="LEGACY")
    assert sorted(t.name for t in customer.tags.all()) == ["Gold", "keep", "new one"]


def test_one_invalid_customer_saves_nothing_and_is_named(staff_client):
    good = CustomerFactory(name="Good Co", channels=5)
    bad = CustomerFactory(name="Broken Co", channels=5)
    # Stored before the TOML rule existed: a single edit of this customer would fail too.
    Customer.objects.filter(pk=bad.pk).update(vars="not = [valid")
    response = bulk_edit(staff_client, [good, bad], change_channels="on", channels="50",
                         add_tags="touched")
    assert response.status_code == 422
    page = response.content.decode()
    assert "Nothing was saved" in page and "Broken Co" in page and "Not valid TOML" in page
    assert "Good Co (#" not in page
    good.refresh_from_db()
    assert good.channels == 5 and not good.tags.exists()


def test_invalid_value_is_shown_next_to_the_field(staff_client):
    customer = CustomerFactory(tax_percent=Decimal("5"))
    response = bulk_edit(staff_client, [customer], change_tax_percent="on", tax_percent="150")
    assert response.status_code == 422
    assert "less than or equal to 100" in response.content.decode()
    customer.refresh_from_db()
    assert customer.tax_percent == Decimal("5")


def test_all_matching_the_filter_are_edited(staff_client):
    active = CustomerFactory.create_batch(2, status=Customer.Status.ACTIVE, channels=1)
    inactive = CustomerFactory(status=Customer.Status.INACTIVE, channels=1)
    response = staff_client.post("/customers/bulk-edit/", {
        "select_all_matching": "1", "filter_query": urlencode({"status": "active"}), "apply": "1",
        "change_channels": "on", "channels": "9"})
    assert response.status_code == 302
    assert sorted(Customer.objects.filter(channels=9).values_list("pk", flat=True)) == sorted(c.pk for c in active)
    inactive.refresh_from_db()
    assert inactive.channels == 1


def test_bulk_edit_is_audited_with_the_staff_member(staff_client, staff):
    customer = CustomerFactory(channels=1)
    bulk_edit(staff_client, [customer], change_status="on", status="penalty")
    event = Events.objects.tracks(customer).filter(pgh_label="customer.updated").get()
    assert event.pgh_diff["status"] == ["active", "penalty"]
    assert event.pgh_context["actor"] == staff.username and event.pgh_context["action"] == "bulk_edit"
