from datetime import UTC, datetime, time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from customers.models import Customer
from tests.factories import AllowedWindowFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def test_currency_cannot_change_after_creation():
    customer = CustomerFactory(currency="USD")
    customer.currency = "EUR"
    with pytest.raises(ValidationError) as error:
        customer.save()
    assert "currency" in error.value.message_dict
    customer.refresh_from_db()
    assert customer.currency == "USD"


def test_currency_change_refused_by_full_clean():
    customer = CustomerFactory(currency="GBP")
    customer.currency = "USD"
    with pytest.raises(ValidationError) as error:
        customer.full_clean()
    assert "cannot change" in error.value.message_dict["currency"][0]


def test_name_is_unique_case_insensitively():
    CustomerFactory(name="Acme Telecom")
    duplicate = Customer(name="ACME telecom", currency="USD")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "already exists" in error.value.message_dict["name"][0]


def test_database_refuses_duplicate_name_even_without_validation():
    from django.db import IntegrityError

    CustomerFactory(name="Acme Telecom")
    with pytest.raises(IntegrityError):
        Customer.objects.create(name="acme TELECOM", currency="USD")


@pytest.mark.parametrize("field,value,fragment", [
    ("tax_percent", Decimal("100.01"), "less than or equal to 100"),
    ("tax_percent", Decimal("-1"), "greater than or equal to 0"),
    ("debit_limit", Decimal("-5"), "greater than or equal to 0"),
    ("minimum_payment", Decimal("-0.01"), "greater than or equal to 0"),
    ("daily_spend_limit", Decimal("-1"), "greater than or equal to 0"),
    ("currency", "ZZZ", "not an ISO 4217 currency code"),
    ("country", "XX", "not an ISO 3166 country code"),
    ("timezone", "Mars/Olympus", "IANA"),
    ("paypal_email", "not-an-email", "valid email"),
    ("website", "ftp//nope", "valid URL"),
    ("invoice_due_days", 400, "less than or equal to 365"),
])
def test_field_rules(field, value, fragment):
    customer = CustomerFactory.build(name="Rules Co")
    setattr(customer, field, value)
    with pytest.raises(ValidationError) as error:
        customer.full_clean()
    assert any(fragment in message for message in error.value.message_dict[field])


def test_topup_currencies_must_be_iso_codes():
    customer = CustomerFactory.build(name="Topup Co", topup_currencies=["EUR", "ABC"])
    with pytest.raises(ValidationError) as error:
        customer.full_clean()
    assert "topup_currencies" in error.value.message_dict


def test_toml_error_names_the_line_and_shows_it():
    customer = CustomerFactory.build(name="Toml Co", vars='[routing]\nprofile = "gold"\nbroken = \n')
    with pytest.raises(ValidationError) as error:
        customer.full_clean()
    message = error.value.message_dict["vars"][0]
    assert "Line 3 (broken =)" in message and "column" in message


@pytest.mark.parametrize(("text", "expected"), [
    ('name = "ab\rc"\n', "A carriage return"),
    ("\x00\x01binary", "NUL character (binary data)"),
    ('[routing]\nweights = [1, 2\n', "ends before a value is complete"),
    ("a = 1\na = 2\n", "The key “a” is set twice"),
    ("a = 1 %\n", "“%” is not expected at column 7"),
])
def test_toml_errors_are_worded_for_people(text, expected):
    with pytest.raises(ValidationError) as error:
        CustomerFactory.build(name="Toml Words", vars=text).full_clean()
    message = error.value.message_dict["vars"][0]
    assert expected in message
    assert "\\x00" not in message and "\\r'" not in message and "Unexpected character" not in message


def test_valid_toml_is_accepted():
    customer = CustomerFactory.build(name="Toml Ok", vars='[routing]\nprofile = "gold"\nweights = [1, 2]\n')
    customer.full_clean()


class TestAllowedTime:
    def test_no_windows_means_any_time(self):
        customer = CustomerFactory(timezone="Europe/London")
        assert customer.is_within_allowed_time(datetime(2026, 1, 1, 3, 0, tzinfo=UTC))

    def test_window_read_in_customer_timezone(self):
        customer = CustomerFactory(timezone="America/New_York")
        AllowedWindowFactory(customer=customer, start=time(9), end=time(17))
        # 14:00 UTC in January is 09:00 in New York (EST, UTC-5).
        assert customer.is_within_allowed_time(datetime(2026, 1, 15, 14, 0, tzinfo=UTC))
        assert not customer.is_within_allowed_time(datetime(2026, 1, 15, 13, 59, tzinfo=UTC))
        assert not customer.is_within_allowed_time(datetime(2026, 1, 15, 22, 0, tzinfo=UTC))

    def test_window_follows_daylight_saving(self):
        customer = CustomerFactory(timezone="America/New_York")
        AllowedWindowFactory(customer=customer, start=time(9), end=time(17))
        # In July New York is on EDT (UTC-4): 13:00 UTC is 09:00 local, 12:30 UTC is 08:30.
        assert customer.is_within_allowed_time(datetime(2026, 7, 15, 13, 0, tzinfo=UTC))
        assert not customer.is_within_allowed_time(datetime(2026, 7, 15, 12, 30, tzinfo=UTC))

    def test_window_on_the_day_clocks_go_forward(self):
        customer = CustomerFactory(timezone="Europe/London")
        AllowedWindowFactory(customer=customer, start=time(1), end=time(3))
        # 29 March 2026: London jumps from 01:00 GMT to 02:00 BST. 00:30 UTC is 00:30 GMT (outside);
        # 01:30 UTC is 02:30 BST (inside).
        assert not customer.is_within_allowed_time(datetime(2026, 3, 29, 0, 30, tzinfo=UTC))
        assert customer.is_within_allowed_time(datetime(2026, 3, 29, 1, 30, tzinfo=UTC))

    def test_window_crossing_midnight(self):
        customer = CustomerFactory(timezone="Asia/Kolkata")
        AllowedWindowFactory(customer=customer, start=time(22), end=time(6))
        # Kolkata is UTC+05:30.
        assert customer.is_within_allowed_time(datetime(2026, 5, 1, 17, 0, tzinfo=UTC))   # 22:30 local
        assert customer.is_within_allowed_time(datetime(2026, 5, 1, 23, 0, tzinfo=UTC))   # 04:30 local
        assert not customer.is_within_allowed_time(datetime(2026, 5, 1, 1, 0, tzinfo=UTC))  # 06:30 local
        assert not customer.is_within_allowed_time(datetime(2026, 5, 1, 10, 0, tzinfo=UTC))  # 15:30 local

    def test_several_windows(self):
        customer = CustomerFactory(timezone="UTC")
        AllowedWindowFactory(customer=customer, start=time(8), end=time(12))
        AllowedWindowFactory(customer=customer, start=time(14), end=time(18))
        assert customer.is_within_allowed_time(datetime(2026, 5, 1, 9, tzinfo=UTC))
        assert not customer.is_within_allowed_time(datetime(2026, 5, 1, 13, tzinfo=UTC))
        assert customer.is_within_allowed_time(datetime(2026, 5, 1, 17, 59, tzinfo=UTC))
        assert not customer.is_within_allowed_time(datetime(2026, 5, 1, 18, tzinfo=UTC))

    def test_equal_start_and_end_is_all_day(self):
        customer = CustomerFactory(timezone="UTC")
        AllowedWindowFactory(customer=customer, start=time(0), end=time(0))
        assert customer.is_within_allowed_time(datetime(2026, 5, 1, 13, tzinfo=UTC))
