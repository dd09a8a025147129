"""PayPal IPNs: stored, verified once by posting back, applied at most once per transaction."""

from decimal import Decimal
from unittest import mock

import pytest

from invoicing.models import Invoice, Payment
from ledger.models import LedgerEntry
from paypal.models import PayPalIpn, PayPalTopup
from paypal.services import ipn_retry_unverified
from tests.factories import CustomerFactory

from .conftest import COMPANY_PAYPAL

pytestmark = pytest.mark.django_db


def post_ipn(client, body, capture):
    with capture(execute=True):
        response = client.post("/paypal/ipn/", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    return PayPalIpn.objects.order_by("-pk").first()


def balance(customer):
    customer.refresh_from_db()
    return customer.balance


@pytest.fixture
def customer():
    return CustomerFactory(name="Payer Co", currency="USD", balance=Decimal("50.00"), paypal_email="ap@payer.example",
                           minimum_payment=Decimal("10.00"), topup_currencies=["EUR"])


def completed(paypal, customer, **extra):
    fields = {"txn_type": "send_money", "payment_status": "Completed", "receiver_email": COMPANY_PAYPAL,
              "payer_email": customer.paypal_email, "mc_gross": "100.00", "mc_currency": "USD"}
    return paypal.issue(**{**fields, **extra})


def test_a_verified_payment_to_the_company_from_the_customers_paypal_email_is_credited(
        client, paypal, customer, django_capture_on_commit_callbacks):
    body = completed(paypal, customer)
    ipn = post_ipn(client, body, django_capture_on_commit_callbacks)
    assert ipn.outcome == PayPalIpn.Outcome.CREDITED and ipn.verification == "VERIFIED"
    assert balance(customer) == Decimal("150.00")
    payment = Payment.objects.get(customer=customer)
    assert payment.method == Payment.Method.PAYPAL and payment.amount == Decimal("100.00")
    assert LedgerEntry.objects.filter(customer=customer, kind=LedgerEntry.Kind.PAYMENT, amount=100).count() == 1
    assert paypal.verification_count(body) == 1
    assert bytes(ipn.body) == body  # kept byte for byte


def test_a_duplicated_ipn_is_stored_but_credited_once(client, paypal, customer, django_capture_on_commit_callbacks):
    body = completed(paypal, customer, txn_id="DUP1")
    first = post_ipn(client, body, django_capture_on_commit_callbacks)
    second = post_ipn(client, body, django_capture_on_commit_callbacks)
    assert first.outcome == PayPalIpn.Outcome.CREDITED
    assert second.outcome == PayPalIpn.Outcome.DUPLICATE
    assert balance(customer) == Decimal("150.00")
    assert Payment.objects.filter(customer=customer).count() == 1
    assert PayPalIpn.objects.filter(txn_id="DUP1").count() == 2


def test_a_forged_ipn_is_refused_by_paypal_and_credits_nothing(client, paypal, customer,
                                                               django_capture_on_commit_callbacks):
    forged = b"txn_id=FORGED1&payment_status=Completed&receiver_email=" + COMPANY_PAYPAL.encode() + \
        b"&payer_email=ap%40payer.example&mc_gross=5000.00&mc_currency=USD"
    ipn = post_ipn(client, forged, django_capture_on_commit_callbacks)
    assert ipn.verification == "INVALID" and ipn.outcome == PayPalIpn.Outcome.INVALID
    assert balance(customer) == Decimal("50.00")
    assert not Payment.objects.exists()
    # Verified once: processing it again does not ask PayPal again.
    from paypal.services import ipn_process

    ipn_process(ipn_id=ipn.pk)
    assert paypal.verification_count(forged) == 1


def test_a_payment_to_another_paypal_account_is_held(client, paypal, customer, django_capture_on_commit_callbacks):
    ipn = post_ipn(client, completed(paypal, customer, receiver_email="someone@else.example"),
                   django_capture_on_commit_callbacks)
    assert ipn.outcome == PayPalIpn.Outcome.HELD and "not to the company's PayPal account" in ipn.reason
    assert balance(customer) == Decimal("50.00")


def test_a_payment_in_a_currency_the_customer_does_not_pay_in_is_held(client, paypal, customer,
                                                                      django_capture_on_commit_callbacks):
    ipn = post_ipn(client, completed(paypal, customer, mc_currency="JPY"), django_capture_on_commit_callbacks)
    assert ipn.outcome == PayPalIpn.Outcome.HELD and "JPY" in ipn.reason
    assert balance(customer) == Decimal("50.00")


def test_a_payment_in_an_allowed_top_up_currency_is_credited_at_the_set_rate(client, paypal, customer,
                                                                             django_capture_on_commit_callbacks):
    ipn = post_ipn(client, completed(paypal, customer, mc_currency="EUR", mc_gross="20.00"),
                   django_capture_on_commit_callbacks)
    assert ipn.outcome == PayPalIpn.Outcome.CREDITED
    assert balance(customer) == Decimal("72.00")  # 20 EUR × 1.10


def test_a_refund_debits_the_balance_and_a_partial_one_only_its_part(client, paypal, customer,
                                                                     django_capture_on_commit_callbacks):
    post_ipn(client, completed(paypal, customer, txn_id="PAY1"), django_capture_on_commit_callbacks)
    partial = paypal.issue(payment_status="Refunded", txn_id="REF1", parent_txn_id="PAY1",
                           receiver_email=COMPANY_PAYPAL, payer_email=customer.paypal_email, mc_gross="-30.00",
                           mc_currency="USD")
    ipn = post_ipn(client, partial, django_capture_on_commit_callbacks)
    assert ipn.outcome == PayPalIpn.Outcome.REVERSED
    assert balance(customer) == Decimal("120.00")
    assert LedgerEntry.objects.filter(customer=customer, kind=LedgerEntry.Kind.PAYMENT_REVERSAL,
                                      amount=Decimal("-30")).count() == 1
    # The same refund again changes nothing; refunds beyond the payment are held.
    assert post_ipn(client, partial, django_capture_on_commit_callbacks).outcome == PayPalIpn.Outcome.DUPLICATE
    too_much = paypal.issue(payment_status="Refunded", txn_id="REF2", parent_txn_id="PAY1",
                            receiver_email=COMPANY_PAYPAL, mc_gross="-80.00", mc_currency="USD")
    assert post_ipn(client, too_much, django_capture_on_commit_callbacks).outcome == PayPalIpn.Outcome.HELD
    assert balance(customer) == Decimal("120.00")


def test_a_full_reversal_cancels_the_payment_and_a_cancelled_reversal_restores_it(
        client, paypal, customer, django_capture_on_commit_callbacks):
    post_ipn(client, completed(paypal, customer, txn_id="PAY2"), django_capture_on_commit_callbacks)
    reversal = paypal.issue(payment_status="Reversed", txn_id="REV2", parent_txn_id="PAY2",
                            receiver_email=COMPANY_PAYPAL, mc_gross="-100.00", mc_currency="USD")
    assert post_ipn(client, reversal, django_capture_on_commit_callbacks).outcome == PayPalIpn.Outcome.REVERSED
    assert balance(customer) == Decimal("50.00")
    assert Payment.objects.get(customer=customer).status == Payment.Status.CANCELLED
    cancelled = paypal.issue(payment_status="Canceled_Reversal", txn_id="CR2", parent_txn_id="PAY2",
                             receiver_email=COMPANY_PAYPAL, mc_gross="100.00", mc_currency="USD")
    assert post_ipn(client, cancelled, django_capture_on_commit_callbacks).outcome == PayPalIpn.Outcome.RESTORED
    assert balance(customer) == Decimal("150.00")
    assert Payment.objects.get(customer=customer).status == Payment.Status.COMPLETED


def test_a_pending_payment_waits_and_is_credited_when_completed(client, paypal, customer,
                                                                django_capture_on_commit_callbacks):
    pending = post_ipn(client, completed(paypal, customer, txn_id="PEND1", payment_status="Pending",
                                         pending_reason="echeck"), django_capture_on_commit_callbacks)
    assert pending.outcome == PayPalIpn.Outcome.WAITING and balance(customer) == Decimal("50.00")
    done = post_ipn(client, completed(paypal, customer, txn_id="PEND1"), django_capture_on_commit_callbacks)
    assert done.outcome == PayPalIpn.Outcome.CREDITED and balance(customer) == Decimal("150.00")


def test_an_unknown_payer_is_held(client, paypal, customer, django_capture_on_commit_callbacks):
    ipn = post_ipn(client, completed(paypal, customer, payer_email="stranger@example.com"),
                   django_capture_on_commit_callbacks)
    assert ipn.outcome == PayPalIpn.Outcome.HELD and balance(customer) == Decimal("50.00")


def test_a_payment_below_the_minimum_is_held_not_half_credited(client, paypal, customer,
                                                               django_capture_on_commit_callbacks):
    ipn = post_ipn(client, completed(paypal, customer, mc_gross="5.00"), django_capture_on_commit_callbacks)
    assert ipn.outcome == PayPalIpn.Outcome.HELD and "minimum payment" in ipn.reason
    assert balance(customer) == Decimal("50.00") and not Payment.objects.exists()


def test_create_invoice_on_payment_issues_a_receipt(client, paypal, customer, django_capture_on_commit_callbacks):
    customer.create_invoice_on_payment = True
    customer.save()
    post_ipn(client, completed(paypal, customer), django_capture_on_commit_callbacks)
    payment = Payment.objects.get(customer=customer)
    assert payment.receipt is not None and payment.receipt.kind == Invoice.Kind.RECEIPT
    assert payment.receipt.status == Invoice.Status.PAID


def test_an_ipn_for_a_portal_top_up_credits_that_top_up_only_if_amount_and_currency_match(
        client, paypal, customer, django_capture_on_commit_callbacks):
    topup = PayPalTopup.objects.create(reference="ref-1", customer=customer, amount=Decimal("25.00"),
                                       currency="USD")
    wrong = post_ipn(client, completed(paypal, customer, custom="ref-1", mc_gross="20.00", payer_email="x@y.example"),
                     django_capture_on_commit_callbacks)
    assert wrong.outcome == PayPalIpn.Outcome.HELD and balance(customer) == Decimal("50.00")
    right = post_ipn(client, completed(paypal, customer, custom="ref-1", mc_gross="25.00", payer_email="x@y.example"),
                     django_capture_on_commit_callbacks)
    assert right.outcome == PayPalIpn.Outcome.CREDITED and balance(customer) == Decimal("75.00")
    topup.refresh_from_db()
    assert topup.state == PayPalTopup.State.PAID and topup.payment_id == right.payment_id


def test_an_unreachable_paypal_leaves_the_ipn_for_a_later_retry(client, paypal, customer,
                                                                django_capture_on_commit_callbacks):
    paypal.answer_override = "Service Unavailable"
    body = completed(paypal, customer)
    ipn = post_ipn(client, body, django_capture_on_commit_callbacks)
    assert ipn.outcome == PayPalIpn.Outcome.RECEIVED and ipn.verification == "" and "retry" in ipn.reason
    assert balance(customer) == Decimal("50.00")
    paypal.answer_override = None
    assert ipn_retry_unverified(older_than_seconds=0) == 1
    ipn.refresh_from_db()
    assert ipn.outcome == PayPalIpn.Outcome.CREDITED and balance(customer) == Decimal("150.00")


def test_an_ipn_failing_unexpectedly_is_held_and_the_later_ones_are_still_applied(
        client, paypal, customer, django_capture_on_commit_callbacks):
    from paypal import services

    paypal.answer_override = "Service Unavailable"
    broken = post_ipn(client, completed(paypal, customer, mc_gross="10.00"), django_capture_on_commit_callbacks)
    later = post_ipn(client, completed(paypal, customer, mc_gross="20.00"), django_capture_on_commit_callbacks)
    paypal.answer_override = None
    real = services._credit

    def credit(ipn, options):
        if ipn.pk == broken.pk:
            raise ArithmeticError("numeric field overflow")
        return real(ipn, options)

    with mock.patch.object(services, "_credit", credit):
        assert ipn_retry_unverified(older_than_seconds=0) == 2

    broken.refresh_from_db()
    later.refresh_from_db()
    assert later.outcome == PayPalIpn.Outcome.CREDITED
    assert broken.outcome == PayPalIpn.Outcome.HELD and "numeric field overflow" in broken.reason
    assert balance(customer) == Decimal("70.00")  # 50 + 20: the broken one credited nothing
    assert ipn_retry_unverified(older_than_seconds=0) == 0  # held: no longer retried


def test_the_ipn_endpoint_refuses_get_and_needs_no_csrf_token(client, paypal, customer,
                                                               django_capture_on_commit_callbacks):
    from django.test import Client

    assert client.get("/paypal/ipn/").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = strict.post("/paypal/ipn/", data=completed(paypal, customer),
                               content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
