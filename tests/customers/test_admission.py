from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest

from customers.services import AdmissionReason, call_admission
from summaries.services import cdr_import
from tests.factories import (
    AllowedWindowFactory,
    ApprovedCLIFactory,
    ContactFactory,
    CustomerFactory,
)
from tests.summaries.helpers import cdr_row, csv_stream

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def reasons(customer, at=NOON, cli=None):
    return call_admission(customer, at, cli=cli).reasons


def test_active_customer_in_credit_is_admitted():
    answer = call_admission(CustomerFactory(), NOON)
    assert answer.allowed and answer.reasons == []


@pytest.mark.parametrize("status", ["inactive", "penalty", "pending_approval"])
def test_status_other_than_active_is_denied(status):
    assert any(r.startswith(AdmissionReason.STATUS) for r in reasons(CustomerFactory(status=status)))


def test_balance_below_minus_debit_limit_is_denied():
    at_limit = CustomerFactory(balance=Decimal("-100.00"), debit_limit=Decimal("100.00"))
    assert AdmissionReason.CREDIT not in reasons(at_limit)
    beyond = CustomerFactory(balance=Decimal("-100.01"), debit_limit=Decimal("100.00"))
    assert AdmissionReason.CREDIT in reasons(beyond)


def test_daily_spend_limit_counts_only_todays_utc_charges():
    customer = CustomerFactory(daily_spend_limit=Decimal("1.00"))

    def charge(call_id, start, amount):
        cdr_import(stream=csv_stream([cdr_row(customer.pk, call_id, start_time=start.isoformat(),
                                              answer_time=start.isoformat(),
                                              end_time=(start + timedelta(seconds=60)).isoformat(), charge=amount)]))

    charge("late", datetime(2026, 11, 24, 23, 59, tzinfo=UTC), "5")
    charge("early", datetime(2026, 11, 25, 0, 1, tzinfo=UTC), "0.6")
    assert AdmissionReason.DAILY_SPEND not in reasons(customer)
    charge("morning", datetime(2026, 11, 25, 9, 0, tzinfo=UTC), "0.4")
    assert AdmissionReason.DAILY_SPEND in reasons(customer)


def test_outside_allowed_time_is_denied():
    customer = CustomerFactory(timezone="Europe/Berlin")
    AllowedWindowFactory(customer=customer, start=time(8), end=time(12))
    assert AdmissionReason.OUTSIDE_HOURS in reasons(customer)  # 13:00 in Berlin
    assert AdmissionReason.OUTSIDE_HOURS not in reasons(customer, at=datetime(2026, 11, 25, 8, tzinfo=UTC))


def test_email_verification_pending_until_a_contact_verifies():
    customer = CustomerFactory(email_verification_required=True)
    contact = ContactFactory(customer=customer, email_verified=False)
    assert any(r.startswith(AdmissionReason.VERIFICATION) and "email" in r for r in reasons(customer))
    contact.email_verified = True
    contact.save()
    assert not any(r.startswith(AdmissionReason.VERIFICATION) for r in reasons(customer))


def test_mobile_verification_pending():
    customer = CustomerFactory(mobile_verification_required=True)
    ContactFactory(customer=customer, email_verified=True, mobile_verified=False)
    assert any("mobile" in r for r in reasons(customer) if r.startswith(AdmissionReason.VERIFICATION))


def test_unapproved_cli_is_denied_when_flag_is_on():
    customer = CustomerFactory(approved_clis_only=True)
    ApprovedCLIFactory(customer=customer, number="+442071838750")
    assert AdmissionReason.CLI not in reasons(customer, cli="+442071838750")
    assert AdmissionReason.CLI not in reasons(customer, cli="442071838750")
    assert AdmissionReason.CLI not in reasons(customer, cli="0044 20 7183 8750")
    assert AdmissionReason.CLI in reasons(customer, cli="anonymous")
    assert AdmissionReason.CLI in reasons(customer, cli="+442071838751")
    assert AdmissionReason.CLI in reasons(customer, cli=None)


def test_revoked_cli_is_denied():
    customer = CustomerFactory(approved_clis_only=True)
    ApprovedCLIFactory(customer=customer, number="+442071838750", revoked_at=NOON)
    assert AdmissionReason.CLI in reasons(customer, cli="+442071838750")


def test_cli_not_checked_when_flag_is_off():
    assert AdmissionReason.CLI not in reasons(CustomerFactory(approved_clis_only=False), cli="+15550000000")


def test_every_applicable_reason_is_reported_together():
    customer = CustomerFactory(status="penalty", balance=Decimal("-500"), debit_limit=Decimal("10"),
                               approved_clis_only=True, email_verification_required=True)
    answer = call_admission(customer, NOON, cli="+15550000000")
    assert not answer.allowed
    assert len(answer.reasons) == 4


def test_allowed_windows_honour_the_weekday_in_the_customers_timezone():
    from routing.engine import account_load, admission_reasons

    customer = CustomerFactory(timezone="Asia/Tokyo")  # UTC+9, no DST
    AllowedWindowFactory(customer=customer, weekday=0, start=time(9), end=time(17))  # Monday office hours
    AllowedWindowFactory(customer=customer, weekday=4, start=time(22), end=time(2))  # Friday night
    monday_10 = datetime(2026, 11, 30, 1, tzinfo=UTC)  # Monday 10:00 in Tokyo
    sunday_23 = datetime(2026, 11, 29, 23, tzinfo=UTC)  # Monday 08:00 in Tokyo: before the window
    tuesday_10 = monday_10 + timedelta(days=1)
    saturday_01 = datetime(2026, 12, 4, 16, tzinfo=UTC)  # Saturday 01:00 in Tokyo: Friday's window
    saturday_03 = saturday_01 + timedelta(hours=2)
    expected = {monday_10: True, sunday_23: False, tuesday_10: False, saturday_01: True, saturday_03: False}
    for at, admitted in expected.items():
        # Both ways the engine reads an account: the switch's single query and a Customer in memory.
        for reasons_now in (admission_reasons(account_load(customer.pk, at), at), reasons(customer, at=at)):
            assert (AdmissionReason.OUTSIDE_HOURS not in reasons_now) is admitted, at
