"""The evaluation: each area crossing, resetting and repeating; hysteresis; penalties; overlap."""

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import close_old_connections

from alerts.models import Alert, AlertEvent, AlertOptions
from alerts.services import alerts_evaluate, default_alerts_sync
from calls import live
from customers.models import Customer
from ledger.models import DailySpend
from messaging.models import Message
from tests.factories import AlertFactory, ContactFactory, CustomerFactory, HourlySummaryFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 10, 30, tzinfo=UTC)


def evaluate(at=NOW, **kwargs):
    return alerts_evaluate(now=at, sync_defaults=False, **kwargs)


def set_balance(customer, amount):
    Customer.objects.filter(pk=customer.pk).update(balance=Decimal(amount))


def kinds(alert):
    return list(AlertEvent.objects.filter(alert=alert).order_by("at", "pk").values_list("kind", flat=True))


def test_balance_hysteresis_fires_once_stays_disarmed_until_reset_level_then_fires_again():
    alert = AlertFactory(threshold=Decimal("10"), reset_threshold=Decimal("20"))
    steps = [("12", []), ("9", ["fired"]), ("8", []), ("15", []), ("21", ["reset"]), ("9", ["fired"])]
    seen = []
    for minute, (balance, expected) in enumerate(steps):
        set_balance(alert.customer, balance)
        before = len(seen)
        evaluate(NOW + timedelta(minutes=minute))
        seen = kinds(alert)
        assert seen[before:] == expected, f"balance {balance}"
    alert.refresh_from_db()
    assert alert.state == Alert.State.FIRED
    # Every firing and reset went to the outbox, rendered with the alert's merge fields.
    messages = Message.objects.filter(kind="alert", to="noc@example.test").order_by("pk")
    assert messages.count() == 3
    assert "Balance is 9" in messages.first().subject
    assert "Reset" in messages[1].subject


def test_repeat_resends_while_still_crossed_and_not_after_reset():
    alert = AlertFactory(threshold=Decimal("10"), repeat_minutes=15)
    set_balance(alert.customer, "5")
    evaluate(NOW)
    evaluate(NOW + timedelta(minutes=10))  # not due yet
    evaluate(NOW + timedelta(minutes=15))
    evaluate(NOW + timedelta(minutes=20))
    evaluate(NOW + timedelta(minutes=30))
    assert kinds(alert) == ["fired", "repeated", "repeated"]
    set_balance(alert.customer, "11")
    evaluate(NOW + timedelta(minutes=45))
    evaluate(NOW + timedelta(minutes=60))
    assert kinds(alert) == ["fired", "repeated", "repeated", "reset"]


def test_daily_spend_reads_the_ledger_day_of_the_evaluation():
    alert = AlertFactory(area="daily_spend", operator="gt", threshold=Decimal("100"), reset_threshold=Decimal("50"))
    DailySpend.objects.create(customer=alert.customer, day=NOW.date() - timedelta(days=1), amount=Decimal("900"))
    spend = DailySpend.objects.create(customer=alert.customer, day=NOW.date(), amount=Decimal("99"))
    evaluate()
    assert kinds(alert) == []  # yesterday's spend does not count
    spend.amount = Decimal("100.01")
    spend.save()
    evaluate(NOW + timedelta(minutes=1))
    assert kinds(alert) == ["fired"]
    # A new UTC day starts at zero spend: below the reset level.
    evaluate(datetime(2026, 12, 1, 0, 1, tzinfo=UTC))
    assert kinds(alert) == ["fired", "reset"]


def hour(offset=0):
    return NOW.replace(minute=0) - timedelta(hours=offset)


def test_asr_reads_the_sample_period_of_hourly_summaries_and_skips_small_samples():
    alert = AlertFactory(area="asr", threshold=Decimal("40"), reset_threshold=Decimal("50"), sample_hours=2,
                         min_attempts=20)
    HourlySummaryFactory(customer=alert.customer, hour=hour(0), attempts=10, answered=2)
    evaluate()
    assert kinds(alert) == []  # 10 attempts: below the minimum, not judged
    HourlySummaryFactory(customer=alert.customer, hour=hour(1), attempts=10, answered=5)
    HourlySummaryFactory(customer=alert.customer, hour=hour(2), attempts=1000, answered=0)  # outside 2 h
    evaluate(NOW + timedelta(minutes=1))
    assert kinds(alert) == ["fired"]
    assert AlertEvent.objects.get(alert=alert).value == Decimal("35")  # 7 of 20
    HourlySummaryFactory(customer=alert.customer, hour=hour(0), destination="Other", attempts=20, answered=20)
    evaluate(NOW + timedelta(minutes=2))
    assert kinds(alert) == ["fired", "reset"]  # 27 of 40 = 67.5 %


def test_acd_and_pdd_from_hourly_summaries():
    acd = AlertFactory(area="acd", threshold=Decimal("30"), min_attempts=1)
    pdd = AlertFactory(customer=acd.customer, area="pdd", operator="gt", threshold=Decimal("3"), min_attempts=1)
    summary = HourlySummaryFactory(customer=acd.customer, hour=hour(0), attempts=10, answered=10, duration=600,
                                   pdd_ms_total=20000)
    evaluate()
    assert kinds(acd) == [] and kinds(pdd) == []  # ACD 60 s, PDD 2 s
    summary.duration, summary.pdd_ms_total = 200, 40000
    summary.save()
    evaluate(NOW + timedelta(minutes=1))
    assert kinds(acd) == ["fired"] and kinds(pdd) == ["fired"]
    assert AlertEvent.objects.get(alert=acd).value == Decimal("20")
    assert AlertEvent.objects.get(alert=pdd).value == Decimal("4")
    summary.duration, summary.pdd_ms_total = 900, 10000
    summary.save()
    evaluate(NOW + timedelta(minutes=2))
    assert kinds(acd) == ["fired", "reset"] and kinds(pdd) == ["fired", "reset"]


@pytest.fixture
def live_state(monkeypatch):
    import uuid

    from tests.calls.conftest import wipe_live_state

    prefix = f"live-test-{uuid.uuid4().hex[:10]}"
    monkeypatch.setattr(live, "PREFIX", prefix)
    yield prefix
    wipe_live_state(prefix)


def test_channels_in_use_read_from_the_live_state(live_state):
    alert = AlertFactory(area="channels", operator="gt", threshold=Decimal("2"), reset_threshold=Decimal("1"))
    scope = live.Scope(live.scope_key("customer", alert.customer.pk), channels=10)
    for n in range(3):
        live.live_reserve(call_id=f"c{n}", scopes=[scope], ttl=600)
    evaluate()
    assert kinds(alert) == ["fired"]
    assert AlertEvent.objects.get(alert=alert).value == 3
    live.live_release(call_id="c0")
    evaluate(NOW + timedelta(minutes=1))
    assert kinds(alert) == ["fired"]  # 2 is not above 2, but not yet back at 1
    live.live_release(call_id="c1")
    evaluate(NOW + timedelta(minutes=2))
    assert kinds(alert) == ["fired", "reset"]


def test_penalty_is_applied_on_firing_and_lifted_on_reset_when_configured():
    alert = AlertFactory(threshold=Decimal("10"), reset_threshold=Decimal("20"), penalty=True,
                         penalty_lift_on_reset=True)
    customer = alert.customer
    set_balance(customer, "5")
    evaluate()
    customer.refresh_from_db()
    assert customer.status == Customer.Status.PENALTY
    assert AlertEvent.objects.get(alert=alert).penalty == "applied"
    set_balance(customer, "25")
    evaluate(NOW + timedelta(minutes=1))
    customer.refresh_from_db()
    assert customer.status == Customer.Status.ACTIVE
    assert AlertEvent.objects.filter(alert=alert, kind="reset").get().penalty == "lifted"


def test_penalty_stays_until_staff_clear_it_by_default():
    alert = AlertFactory(threshold=Decimal("10"), penalty=True)
    set_balance(alert.customer, "5")
    evaluate()
    set_balance(alert.customer, "50")
    evaluate(NOW + timedelta(minutes=1))
    alert.customer.refresh_from_db()
    assert alert.customer.status == Customer.Status.PENALTY
    assert kinds(alert) == ["fired", "reset"]


def test_penalty_is_not_lifted_while_another_alert_still_holds_it():
    balance = AlertFactory(threshold=Decimal("10"), penalty=True, penalty_lift_on_reset=True)
    spend = AlertFactory(customer=balance.customer, area="daily_spend", operator="gt", threshold=Decimal("5"),
                         penalty=True, penalty_lift_on_reset=True)
    set_balance(balance.customer, "5")
    DailySpend.objects.create(customer=balance.customer, day=NOW.date(), amount=Decimal("6"))
    evaluate()
    set_balance(balance.customer, "50")
    evaluate(NOW + timedelta(minutes=1))
    balance.customer.refresh_from_db()
    assert balance.customer.status == Customer.Status.PENALTY  # the spend alert is still fired
    DailySpend.objects.filter(customer=balance.customer).update(amount=Decimal("1"))
    evaluate(NOW + timedelta(minutes=2))
    balance.customer.refresh_from_db()
    assert balance.customer.status == Customer.Status.ACTIVE
    assert kinds(spend) == ["fired", "reset"]


def test_an_inactive_customer_is_not_put_in_penalty_nor_made_active():
    alert = AlertFactory(threshold=Decimal("10"), penalty=True, penalty_lift_on_reset=True,
                         customer=CustomerFactory(status=Customer.Status.INACTIVE))
    set_balance(alert.customer, "5")
    evaluate()
    set_balance(alert.customer, "50")
    evaluate(NOW + timedelta(minutes=1))
    alert.customer.refresh_from_db()
    assert alert.customer.status == Customer.Status.INACTIVE
    assert kinds(alert) == ["fired", "reset"]


def test_disabled_alerts_are_not_evaluated():
    alert = AlertFactory(threshold=Decimal("10"), enabled=False)
    set_balance(alert.customer, "5")
    evaluate()
    assert kinds(alert) == []


def test_empty_recipients_go_to_the_billing_contacts_with_their_merge_fields():
    customer = CustomerFactory(name="Acme")
    ContactFactory(customer=customer, name="Bill", email="bill@acme.test", contact_type="billing")
    ContactFactory(customer=customer, name="Tech", email="tech@acme.test", contact_type="technical")
    AlertFactory(customer=customer, recipients=[], message="Dear {{ contact.name }}, {{ alert.value }}")
    set_balance(customer, "3.5")
    evaluate()
    message = Message.objects.get(kind="alert")
    assert (message.to, message.body, message.contact.name) == ("bill@acme.test", "Dear Bill, 3.5", "Bill")


def test_mobile_recipients_get_an_sms():
    alert = AlertFactory(recipients=["+447911123456"], message="{{ alert.title }} {{ alert.value }}")
    set_balance(alert.customer, "1")
    evaluate()
    message = Message.objects.get(kind="alert")
    assert (message.channel, message.to, message.subject) == ("sms", "+447911123456", "")
    assert message.body == f"{alert.title} 1"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lock", [True, False], ids=["advisory-lock", "compare-and-set-only"])
def test_two_overlapping_evaluations_fire_each_alert_once(lock):
    alerts = [AlertFactory(threshold=Decimal("10"), repeat_minutes=1, penalty=True) for _ in range(30)]
    Customer.objects.update(balance=Decimal("1"))
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            evaluate(lock=lock)
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert AlertEvent.objects.filter(kind="fired").count() == 30
    assert AlertEvent.objects.exclude(kind="fired").count() == 0
    assert Message.objects.filter(kind="alert").count() == 30
    assert AlertEvent.objects.filter(penalty="applied").count() == 30
    assert {a.state for a in Alert.objects.filter(pk__in=[a.pk for a in alerts])} == {"fired"}


def test_default_low_balance_alert_reaches_every_customer_and_follows_settings():
    first, second = CustomerFactory(), CustomerFactory()
    options = AlertOptions.get()
    options.low_balance_enabled, options.low_balance_threshold = True, Decimal("5")
    options.save()
    default_alerts_sync()
    assert Alert.objects.filter(source="default").count() == 2
    third = CustomerFactory()
    set_balance(third, "4")
    alerts_evaluate(now=NOW)  # the evaluation gives new customers the default first
    assert kinds(third.alerts.get(source="default")) == ["fired"]
    own = first.alerts.get(source="default")
    own.follows_default, own.threshold = False, Decimal("1")
    own.save()
    options.low_balance_threshold = Decimal("7")
    options.save()
    default_alerts_sync()
    thresholds = dict(Alert.objects.filter(source="default").values_list("customer_id", "threshold"))
    assert thresholds == {first.pk: Decimal("1"), second.pk: Decimal("7"), third.pk: Decimal("7")}
    options.low_balance_enabled = False
    options.save()
    default_alerts_sync()
    assert not Alert.objects.filter(source="default", follows_default=True, enabled=True).exists()


def test_an_alert_whose_message_fails_to_render_does_not_hold_back_the_others():
    from unittest import mock

    from alerts import services

    broken, fine = AlertFactory(threshold=Decimal("10")), AlertFactory(threshold=Decimal("10"))
    set_balance(broken.customer, "5")
    set_balance(fine.customer, "5")
    real = services._messages_for

    def messages_for(alert, **kwargs):
        if alert.pk == broken.pk:
            raise RuntimeError("template filter crashed")
        return real(alert, **kwargs)

    with mock.patch.object(services, "_messages_for", messages_for):
        evaluate()

    assert kinds(broken) == kinds(fine) == ["fired"]
    assert Message.objects.filter(kind="alert", customer=fine.customer).count() == 1
    assert not Message.objects.filter(kind="alert", customer=broken.customer).exists()
