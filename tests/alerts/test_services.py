"""Services other apps use: the customer's own low-balance alert (for the portal), recipients."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from alerts.models import AlertOptions
from alerts.services import (
    alerts_evaluate,
    default_alerts_sync,
    low_balance_alert_get,
    low_balance_alert_set,
    recipients_clean,
)
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_a_customer_sets_its_own_low_balance_alert_which_then_stops_following_settings():
    customer = CustomerFactory(country="GB")
    options = AlertOptions.get()
    options.low_balance_enabled, options.low_balance_threshold = True, Decimal("10")
    options.save()
    default_alerts_sync()
    assert low_balance_alert_get(customer=customer).threshold == Decimal("10")
    alert = low_balance_alert_set(customer=customer, threshold=Decimal("25"), reset_threshold=Decimal("40"),
                                  recipients=["07911 123456"])
    assert (alert.threshold, alert.recipients, alert.follows_default) == (Decimal("25"), ["+447911123456"], False)
    options.low_balance_threshold = Decimal("5")
    options.save()
    default_alerts_sync()
    assert low_balance_alert_get(customer=customer).threshold == Decimal("25")


def test_setting_a_low_balance_alert_when_settings_offer_none_creates_it():
    customer = CustomerFactory(balance=Decimal("1"))
    assert low_balance_alert_get(customer=customer) is None
    alert = low_balance_alert_set(customer=customer, threshold=Decimal("2"))
    assert alert.source == "default" and alert.area == "balance" and alert.title == "Low balance"
    result = alerts_evaluate(now=datetime(2026, 11, 30, tzinfo=UTC))
    assert result.counts["fired"] == 1
    with pytest.raises(ValidationError) as error:
        low_balance_alert_set(customer=customer, threshold=Decimal("10"), reset_threshold=Decimal("5"))
    assert "reset_threshold" in error.value.message_dict


def test_recipients_are_normalised_each_once_and_bad_ones_named():
    assert recipients_clean(["a@x.test", " A@x.test ", "+1 415 555 0100", "", "0044 7911 123456"]) == [
        "a@x.test", "+14155550100", "+447911123456"]
    with pytest.raises(ValidationError) as error:
        recipients_clean(["a@", "12"])
    assert len(error.value.message_dict["recipients"]) == 2
