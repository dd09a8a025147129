import json
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest

from customers.models import Customer, DelayedChange
from tests.factories import CustomerFactory, StaffFactory, TagFactory

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "name": "Nova Telecom", "channels": "40", "flow_speed": "15", "status": "active",
        "debit_limit": "250.00", "minimum_payment": "20.00", "tax_percent": "20", "currency": "GBP",
        "portal_access": ["balance", "cdrs", "invoices"], "tag_names": "wholesale, Premium",
        "invoice_schedule": "monthly", "invoice_due_days": "14", "rtp_firewall": "locked",
        "recording_retention_days": "30", "stir_shaken_attestation": "A", "timezone": "Europe/London",
        "vars": '[routing]\nprofile = "gold"\n', "country": "GB", "city": "London",
        "windows": json.dumps([[day, "22:00", "06:00"] for day in range(7)]),  # as the week grid posts it
        "action": "continue",
    }
    data.update(overrides)
    return data


def test_create_saves_every_tab_and_goes_to_the_card(staff_client):
    TagFactory(name="premium")
    response = staff_client.post("/customers/new/", form_data())
    customer = Customer.objects.get(name="Nova Telecom")
    assert response.status_code == 302 and response["Location"] == f"/customers/{customer.pk}/"
    assert customer.currency == "GBP" and customer.tax_percent == Decimal("20.00")
    assert sorted(t.name for t in customer.tags.all()) == ["premium", "wholesale"]
    assert customer.portal_access == ["balance", "cdrs", "invoices"]
    window = customer.allowed_windows.get()
    assert (window.start, window.end) == (time(22), time(6)) and window.crosses_midnight


def test_save_and_stay_after_create_gives_a_fresh_form_and_links_the_saved_customer(staff_client):
    response = staff_client.post("/customers/new/", form_data(action="stay"), follow=True)
    customer = Customer.objects.get(name="Nova Telecom")
    assert response.redirect_chain[-1][0] == "/customers/new/"
    page = response.content.decode()
    assert f'Customer <a href="/customers/{customer.pk}/">Nova Telecom</a> created' in page
    assert response.context["form"].instance.pk is None and 'value="Nova Telecom"' not in page


def test_save_and_stay_on_an_existing_customer_stays_on_its_form(staff_client):
    customer = CustomerFactory(name="Nova Telecom", currency="GBP")
    response = staff_client.post(f"/customers/{customer.pk}/edit/", form_data(action="stay"))
    assert response["Location"] == f"/customers/{customer.pk}/edit/"


def test_new_customer_form_starts_from_the_settings_defaults(staff_client):
    from customers.models import CustomerDefaults

    form = staff_client.get("/customers/new/").context["form"]
    assert form["currency"].value() in ("", None) and form["channels"].value() == 10
    assert form["flow_speed"].value() == 5
    response = staff_client.post("/customers/defaults/", {"currency": "EUR", "channels": "30", "flow_speed": "8"})
    assert response.status_code == 302
    assert CustomerDefaults.get().channels == 30
    form = staff_client.get("/customers/new/").context["form"]
    assert (form["currency"].value(), form["channels"].value(), form["flow_speed"].value()) == ("EUR", 30, 8)


def test_new_customer_without_a_currency_is_refused_beside_the_field(staff_client):
    response = staff_client.post("/customers/new/", form_data(currency=""))
    assert response.status_code == 422
    assert "currency" in response.context["form"].errors
    assert not Customer.objects.exists()


def test_delay_and_save_when_creating_holds_the_customer_inactive_until_then(staff_client):
    page = staff_client.get("/customers/new/").content.decode()
    assert 'id="delay-save"' in page and "held Inactive until" in page
    due = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = staff_client.post("/customers/new/", form_data(action="delay", status="active", **{"delay-due_at": due}))
    customer = Customer.objects.get(name="Nova Telecom")
    assert response.status_code == 302 and response["Location"] == f"/customers/{customer.pk}/"
    assert customer.status == Customer.Status.INACTIVE and customer.tags.count() == 2
    change = DelayedChange.objects.get(customer=customer)
    assert change.changes == {"status": ["inactive", "active"]} and change.state == DelayedChange.State.PENDING


def test_delay_and_save_when_creating_refuses_a_past_time_and_saves_nothing(staff_client):
    past = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = staff_client.post("/customers/new/", form_data(action="delay", **{"delay-due_at": past}))
    assert response.status_code == 422
    assert "in the future" in response.content.decode()
    assert response.context["form"].instance.pk is None and response.context["form"]["status"].value() == "active"
    assert not Customer.objects.exists() and not DelayedChange.objects.exists()


def test_delay_and_save_when_creating_an_inactive_customer_asks_for_the_later_status(staff_client):
    due = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = staff_client.post("/customers/new/", form_data(action="delay", status="inactive",
                                                              **{"delay-due_at": due}))
    assert response.status_code == 422
    assert "Choose the status the customer takes" in response.context["form"].errors["status"][0]
    assert not Customer.objects.exists()


def test_windows_are_kept_per_weekday_and_read_back_on_the_form(staff_client):
    windows = [[0, "08:00", "12:00"], [0, "13:00", "18:00"], [5, "22:00", "24:00"], [6, "00:00", "02:00"]]
    staff_client.post("/customers/new/", form_data(windows=json.dumps(windows)))
    customer = Customer.objects.get(name="Nova Telecom")
    stored = [(w.weekday, w.start, w.end) for w in customer.allowed_windows.order_by("weekday", "start")]
    # Saturday night into Sunday is one window past midnight.
    assert stored == [(0, time(8), time(12)), (0, time(13), time(18)), (5, time(22), time(2))]
    form = staff_client.get(f"/customers/{customer.pk}/edit/").context["form"]
    assert json.loads(form["windows"].value()) == [[0, "08:00", "12:00"], [0, "13:00", "18:00"],
                                                   [5, "22:00", "02:00"]]


def test_error_on_hidden_tab_marks_that_tab_and_opens_it(staff_client):
    response = staff_client.post("/customers/new/", form_data(vars="[broken"))
    assert response.status_code == 422
    assert not Customer.objects.exists()
    tabs = {tab["key"]: tab for tab in response.context["tabs"]}
    assert tabs["config"]["has_error"] and not tabs["basic"]["has_error"]
    assert response.context["active_tab"] == "config"
    content = response.content.decode()
    assert "Not valid TOML. Line 1" in content
    assert 'class="nav-link cx-tab-error active" id="tab-config"' in content


def test_window_error_marks_the_day_time_tab(staff_client):
    response = staff_client.post("/customers/new/", form_data(windows='[[0, "25:99", "26:00"]]'))
    assert response.status_code == 422
    assert response.context["active_tab"] == "daytime"
    assert not Customer.objects.exists()


@pytest.mark.parametrize("field,value,message", [
    ("name", "", "This field is required."),
    ("channels", "-1", "greater than or equal to 0"),
    ("tax_percent", "101", "less than or equal to 100"),
    ("debit_limit", "abc", "Enter a number."),
    ("currency", "ZZZ", "is not an ISO 4217 currency code"),
    ("paypal_email", "nope", "Enter a valid email address."),
    ("timezone", "Mars/Base", "is not an IANA timezone name"),
])
def test_each_bad_value_is_reported_beside_its_field_and_nothing_saved(staff_client, field, value, message):
    response = staff_client.post("/customers/new/", form_data(**{field: value}))
    assert response.status_code == 422
    assert any(message in error for error in response.context["form"].errors[field])
    assert not Customer.objects.exists()


def test_duplicate_name_is_refused_case_insensitively(staff_client):
    CustomerFactory(name="Nova Telecom")
    response = staff_client.post("/customers/new/", form_data(name="  NOVA telecom "))
    assert "already exists" in response.context["form"].errors["name"][0]
    assert Customer.objects.count() == 1


def test_edit_shows_currency_read_only_and_ignores_a_posted_change(staff_client):
    customer = CustomerFactory(name="Fixed Currency", currency="USD")
    page = staff_client.get(f"/customers/{customer.pk}/edit/").content.decode()
    assert 'name="currency"' in page and "disabled" in page.split('name="currency"')[1].split(">")[0]
    staff_client.post(f"/customers/{customer.pk}/edit/", form_data(name="Fixed Currency", currency="EUR"))
    customer.refresh_from_db()
    assert customer.currency == "USD"


def test_edit_replaces_tags_and_windows(staff_client):
    customer = CustomerFactory(name="Retag")
    customer.tags.add(TagFactory(name="old"))
    staff_client.post(f"/customers/{customer.pk}/edit/",
                      form_data(name="Retag", currency="USD", tag_names="new", windows="[]"))
    customer.refresh_from_db()
    assert [t.name for t in customer.tags.all()] == ["new"]
    assert not customer.allowed_windows.exists()


def test_account_manager_must_be_staff(staff_client):
    outsider = StaffFactory(username="notstaff", is_staff=False)
    response = staff_client.post("/customers/new/", form_data(account_manager=outsider.pk))
    assert "account_manager" in response.context["form"].errors


def test_card_shows_header_figures_and_main_tab(staff_client, monkeypatch):
    from connex.registry import registry

    customer = CustomerFactory(name="Card Co", balance=Decimal("-3.25"), debit_limit=Decimal("10"),
                               channels=20, channels_in_use=4)
    monkeypatch.setattr(registry, "live_channels_sources", [lambda pk: 7 if pk == customer.pk else 0])
    content = staff_client.get(f"/customers/{customer.pk}/").content.decode()
    assert "Card Co" in content and "-3.25 USD" in content and "10.00 USD" in content
    assert 'id="header-channels">7 / 20<' in content  # the live figure, not the stored one
    assert 'data-tab="main"' in content
    monkeypatch.setattr(registry, "live_channels_sources", [lambda pk: None])  # the live state is unreadable
    assert 'id="header-channels">4 / 20<' in staff_client.get(f"/customers/{customer.pk}/").content.decode()


def test_card_of_missing_customer_is_404(staff_client):
    assert staff_client.get("/customers/999999/").status_code == 404
    customer = CustomerFactory()
    assert staff_client.get(f"/customers/{customer.pk}/tab/nope/").status_code == 404
