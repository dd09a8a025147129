"""PayPal top-ups: start one from the portal, then receive, verify and apply PayPal's IPNs.

An IPN is stored first, exactly as posted, then verified once by posting it back to PayPal
(settings.PAYPAL_VERIFY_URL) and only then applied. Applying credits through
invoicing.services.payment_record (so the ledger moves and, with "Create invoice on payment", a
receipt is issued); refunds and reversals post negative ledger entries. Each transaction id is
applied at most once, enforced by a partial unique constraint.
"""

import logging
import secrets
import urllib.error
import urllib.request
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from customers.models import Customer
from invoicing.models import Payment
from invoicing.services import money, payment_record, payment_set_status
from ledger.models import LedgerEntry
from ledger.services import ledger_post

from .models import PayPalIpn, PayPalOptions, PayPalTopup

logger = logging.getLogger(__name__)

MAX_BODY = 20_000
COMPLETED, PENDING = "Completed", "Pending"
REVERSING = ("Refunded", "Reversed")
CANCELED_REVERSAL = "Canceled_Reversal"


class VerificationUnavailable(Exception):
    """PayPal's verification endpoint did not give an answer (network error, timeout, odd reply)."""


# Top-ups from the portal ------------------------------------------------------------------------

def topup_currencies(*, customer, options=None) -> list[str]:
    """Currencies the customer may top up in: its own, and its allowed ones with an exchange rate."""
    options = options or PayPalOptions.get()
    return [customer.currency] + [code for code in customer.topup_currencies or []
                                  if options.rate(code, customer.currency) is not None]


@transaction.atomic
def topup_start(*, customer, contact, amount, currency, staff_user=None) -> PayPalTopup:
    """Record a top-up the contact is about to pay; the IPN carrying its reference credits it."""
    options = PayPalOptions.get()
    errors = {}
    if not options.enabled or not options.receiver_email:
        raise ValidationError("PayPal top-ups are not available at the moment.")
    try:
        amount = money(Decimal(amount))
    except (InvalidOperation, TypeError):
        raise ValidationError({"amount": "Enter an amount."}) from None
    allowed = topup_currencies(customer=customer, options=options)
    if currency not in allowed:
        errors["currency"] = f"Top up in {', '.join(allowed)}."
    if amount <= 0:
        errors["amount"] = "Enter an amount above zero."
    if errors:
        raise ValidationError(errors)
    rate = options.rate(currency, customer.currency)
    credited = money(amount * rate)
    if credited < customer.minimum_payment:
        raise ValidationError({"amount": f"The minimum top-up is {customer.minimum_payment:,.2f} {customer.currency}"
                                         + (f" (this credits {credited:,.2f})." if currency != customer.currency
                                            else ".")})
    return PayPalTopup.objects.create(reference=secrets.token_hex(12), customer=customer, contact=contact,
                                      staff_user=staff_user, amount=amount, currency=currency, exchange_rate=rate)


def topup_checkout_url(*, topup, notify_url, return_url, cancel_url, item_name) -> str:
    """The PayPal address the contact's browser is sent to (a Buy Now button's fields as a query)."""
    options = PayPalOptions.get()
    query = urlencode({
        "cmd": "_xclick", "business": options.receiver_email, "item_name": item_name[:127],
        "amount": f"{topup.amount:.2f}", "currency_code": topup.currency, "custom": topup.reference,
        "invoice": f"topup-{topup.reference}", "no_shipping": "1", "charset": "utf-8",
        "notify_url": notify_url, "return": return_url, "cancel_return": cancel_url,
    })
    return f"{settings.PAYPAL_URL}?{query}"


# IPNs -------------------------------------------------------------------------------------------

def _decode(body: bytes) -> dict:
    # PayPal names the body's charset inside the body; the field names themselves are ASCII.
    charset = dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True)).get("charset") or "utf-8"
    try:
        "".encode(charset)
    except LookupError:
        charset = "utf-8"
    return dict(parse_qsl(body.decode(charset, errors="replace"), keep_blank_values=True))


def _decimal(value):
    try:
        return Decimal(value) if value not in (None, "") else None
    except InvalidOperation:
        return None


@transaction.atomic
def ipn_receive(*, body: bytes) -> PayPalIpn:
    """Store an IPN as posted; processing (verification, crediting) happens after the commit."""
    if len(body) > MAX_BODY:
        raise ValidationError(f"An IPN is at most {MAX_BODY} bytes.")
    fields = _decode(body)
    ipn = PayPalIpn.objects.create(
        body=body, fields=fields, txn_id=fields.get("txn_id", "")[:64],
        parent_txn_id=fields.get("parent_txn_id", "")[:64], txn_type=fields.get("txn_type", "")[:64],
        payment_status=fields.get("payment_status", "")[:32],
        receiver_email=(fields.get("receiver_email") or fields.get("business") or "")[:254].strip(),
        payer_email=fields.get("payer_email", "")[:254].strip(), gross=_decimal(fields.get("mc_gross")),
        currency=fields.get("mc_currency", "")[:3].upper(), custom=fields.get("custom", "")[:255])
    from .tasks import ipn_process_task

    transaction.on_commit(lambda: ipn_process_task.delay(ipn.pk))
    return ipn


def verification_post(body: bytes) -> str:
    """PayPal's answer to the IPN posted back unchanged: "VERIFIED" or "INVALID"."""
    request = urllib.request.Request(
        settings.PAYPAL_VERIFY_URL, data=b"cmd=_notify-validate&" + bytes(body), method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "Connex-IPN-Verifier"})
    try:
        with urllib.request.urlopen(request, timeout=settings.PAYPAL_VERIFY_TIMEOUT) as response:  # noqa: S310
            answer = response.read(100).decode("ascii", errors="replace").strip()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise VerificationUnavailable(str(exc)) from exc
    if answer not in (PayPalIpn.Verification.VERIFIED, PayPalIpn.Verification.INVALID):
        raise VerificationUnavailable(f"Unexpected answer {answer[:40]!r}")
    return answer


def ipn_verify(*, ipn_id) -> str:
    """Verify once: the first definite answer is stored and never asked for again."""
    ipn = PayPalIpn.objects.get(pk=ipn_id)
    if ipn.verification:
        return ipn.verification
    PayPalIpn.objects.filter(pk=ipn_id).update(verify_attempts=ipn.verify_attempts + 1)
    answer = verification_post(ipn.body)
    # Conditional: if two workers asked at once, the first stored answer stands.
    PayPalIpn.objects.filter(pk=ipn_id, verification="").update(verification=answer, verified_at=timezone.now())
    return PayPalIpn.objects.values_list("verification", flat=True).get(pk=ipn_id)


def ipn_process(*, ipn_id) -> PayPalIpn:
    """Verify (once) and apply one IPN; safe to run again, and at the same time as a duplicate."""
    ipn = PayPalIpn.objects.get(pk=ipn_id)
    if ipn.outcome != PayPalIpn.Outcome.RECEIVED:
        return ipn
    try:
        ipn_verify(ipn_id=ipn_id)
    except VerificationUnavailable as exc:
        PayPalIpn.objects.filter(pk=ipn_id).update(reason=f"Verification unavailable, will retry: {exc}"[:300])
        logger.warning("PayPal IPN %s could not be verified yet: %s", ipn_id, exc)
        return PayPalIpn.objects.get(pk=ipn_id)
    return ipn_apply(ipn_id=ipn_id)


@transaction.atomic
def ipn_apply(*, ipn_id) -> PayPalIpn:
    ipn = PayPalIpn.objects.select_for_update().get(pk=ipn_id)
    if ipn.outcome != PayPalIpn.Outcome.RECEIVED:
        return ipn
    if ipn.verification != PayPalIpn.Verification.VERIFIED:
        return _finish(ipn, PayPalIpn.Outcome.INVALID if ipn.verification else PayPalIpn.Outcome.RECEIVED,
                       "PayPal did not confirm this message; nothing was credited." if ipn.verification else
                       "Not verified yet.")
    # Same transaction id seen before: serialise on it so a twin waits for the first to finish.
    key = ipn.txn_id or f"ipn-{ipn.pk}"
    with transaction.get_connection().cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('paypal-txn:' || %s))", [key])
    if ipn.txn_id and PayPalIpn.objects.filter(txn_id=ipn.txn_id, outcome__in=PayPalIpn.APPLIED).exists():
        return _finish(ipn, PayPalIpn.Outcome.DUPLICATE, f"Transaction {ipn.txn_id} was already applied.")
    options = PayPalOptions.get()
    if not options.receiver_email or ipn.receiver_email.lower() != options.receiver_email.lower():
        return _finish(ipn, PayPalIpn.Outcome.HELD,
                       f"Paid to {ipn.receiver_email or 'no address'}, not to the company's PayPal account.")
    status = ipn.payment_status
    try:
        with transaction.atomic():
            if status == COMPLETED:
                return _credit(ipn, options)
            if status in REVERSING:
                return _reverse(ipn)
            if status == CANCELED_REVERSAL:
                return _restore(ipn)
    except IntegrityError:
        # A twin applied the same transaction between our check and our write.
        return _finish(ipn, PayPalIpn.Outcome.DUPLICATE, f"Transaction {ipn.txn_id} was already applied.")
    if status == PENDING:
        return _finish(ipn, PayPalIpn.Outcome.WAITING,
                       f"PayPal holds the payment ({ipn.fields.get('pending_reason') or 'pending'}); "
                       "it is credited when PayPal sends it as completed.")
    return _finish(ipn, PayPalIpn.Outcome.IGNORED, f"Payment status “{status or 'none'}”: nothing to credit.")


def _finish(ipn, outcome, reason, **fields):
    for name, value in fields.items():
        setattr(ipn, name, value)
    ipn.outcome, ipn.reason = outcome, reason[:300]
    ipn.save(update_fields=["outcome", "reason", "updated", *fields])
    return ipn


def _customer_for(ipn):
    """The top-up named by `custom`, else the one customer whose PayPal email paid."""
    topup = PayPalTopup.objects.select_related("customer").filter(reference=ipn.custom).first() if ipn.custom else None
    if topup is not None:
        return topup.customer, topup
    if ipn.payer_email:
        found = list(Customer.objects.filter(paypal_email__iexact=ipn.payer_email)[:2])
        if len(found) == 1:
            return found[0], None
    return None, None


def _credit(ipn, options):
    customer, topup = _customer_for(ipn)
    if customer is None:
        return _finish(ipn, PayPalIpn.Outcome.HELD,
                       f"No top-up matches and no customer has the PayPal email {ipn.payer_email or '(none)'}.")
    held = {"customer": customer, "topup": topup}
    if ipn.gross is None or ipn.gross <= 0:
        return _finish(ipn, PayPalIpn.Outcome.HELD, "A completed payment without a positive amount.", **held)
    if ipn.currency not in [customer.currency, *(customer.topup_currencies or [])]:
        return _finish(ipn, PayPalIpn.Outcome.HELD, f"Paid in {ipn.currency or 'no currency'}; {customer} pays in "
                       f"{', '.join([customer.currency, *(customer.topup_currencies or [])])}.", **held)
    if topup is not None:
        if topup.state == PayPalTopup.State.PAID:
            return _finish(ipn, PayPalIpn.Outcome.DUPLICATE, "This top-up is already paid.", **held)
        if ipn.currency != topup.currency or ipn.gross != topup.amount:
            return _finish(ipn, PayPalIpn.Outcome.HELD, f"Paid {ipn.gross} {ipn.currency} for a top-up of "
                           f"{topup.amount} {topup.currency}.", **held)
        rate = topup.exchange_rate
    else:
        rate = options.rate(ipn.currency, customer.currency)
        if rate is None:
            return _finish(ipn, PayPalIpn.Outcome.HELD, f"No exchange rate from {ipn.currency} to "
                           f"{customer.currency} in Settings → PayPal.", **held)
    try:
        payment = payment_record(
            customer=customer, amount=ipn.gross, currency=ipn.currency, method=Payment.Method.PAYPAL,
            description=f"PayPal {ipn.txn_id}", exchange_rate=rate if ipn.currency != customer.currency else None)
    except ValidationError as exc:
        return _finish(ipn, PayPalIpn.Outcome.HELD, " ".join(exc.messages), **held)
    if topup is not None:
        PayPalTopup.objects.filter(pk=topup.pk).update(state=PayPalTopup.State.PAID, payment=payment,
                                                       updated=timezone.now())
    return _finish(ipn, PayPalIpn.Outcome.CREDITED, f"Credited {payment.credited_amount} {customer.currency}.",
                   payment=payment, credited_amount=payment.credited_amount, **held)


def _original(ipn):
    return PayPalIpn.objects.select_related("payment", "customer").filter(
        txn_id=ipn.parent_txn_id, outcome=PayPalIpn.Outcome.CREDITED).first() if ipn.parent_txn_id else None


def _reverse(ipn):
    original = _original(ipn)
    if original is None:
        return _finish(ipn, PayPalIpn.Outcome.HELD, f"No credited payment with transaction {ipn.parent_txn_id or '?'}.")
    held = {"customer": original.customer, "payment": original.payment}
    if ipn.currency != original.currency or ipn.gross is None or ipn.gross >= 0:
        return _finish(ipn, PayPalIpn.Outcome.HELD, f"A {ipn.payment_status.lower()} of {ipn.gross} {ipn.currency} "
                       f"does not fit the payment of {original.gross} {original.currency}.", **held)
    refunded = -_sum_gross(ipn.parent_txn_id)
    if refunded - ipn.gross > original.gross:
        return _finish(ipn, PayPalIpn.Outcome.HELD, f"Refunds would exceed the payment of {original.gross} "
                       f"{original.currency}.", **held)
    payment = original.payment
    rate = payment.exchange_rate if payment else Decimal("1")
    amount = money(ipn.gross * rate)
    if payment is not None and -ipn.gross == original.gross and not refunded:
        # The whole payment went back: the payment itself is cancelled (which debits the balance).
        payment_set_status(payment=payment, status=Payment.Status.CANCELLED)
    else:
        ledger_post(customer_id=original.customer_id, amount=amount, kind=LedgerEntry.Kind.PAYMENT_REVERSAL,
                    description=f"PayPal {ipn.payment_status.lower()} {ipn.txn_id} of {ipn.parent_txn_id}"[:200],
                    source=ipn)
    return _finish(ipn, PayPalIpn.Outcome.REVERSED, f"Debited {-amount} {original.customer.currency}.",
                   credited_amount=amount, **held)


def _sum_gross(parent_txn_id):
    return sum(PayPalIpn.objects.filter(parent_txn_id=parent_txn_id, outcome=PayPalIpn.Outcome.REVERSED)
               .values_list("gross", flat=True), Decimal("0"))


def _restore(ipn):
    original = _original(ipn)
    reversal = PayPalIpn.objects.filter(parent_txn_id=ipn.parent_txn_id, payment_status="Reversed",
                                        outcome=PayPalIpn.Outcome.REVERSED).order_by("-pk").first()
    already = PayPalIpn.objects.filter(parent_txn_id=ipn.parent_txn_id, outcome=PayPalIpn.Outcome.RESTORED).exists()
    if original is None or reversal is None or already:
        return _finish(ipn, PayPalIpn.Outcome.HELD, "No reversal of this payment to cancel.")
    held = {"customer": original.customer, "payment": original.payment}
    amount = -reversal.credited_amount
    payment = original.payment
    if payment is not None and payment.status == Payment.Status.CANCELLED:
        payment_set_status(payment=payment, status=Payment.Status.COMPLETED)
    else:
        ledger_post(customer_id=original.customer_id, amount=amount, kind=LedgerEntry.Kind.PAYMENT,
                    description=f"PayPal reversal cancelled {ipn.txn_id} of {ipn.parent_txn_id}"[:200], source=ipn)
    return _finish(ipn, PayPalIpn.Outcome.RESTORED, f"Credited {amount} {original.customer.currency} again.",
                   credited_amount=amount, **held)


def ipn_retry_unverified(*, older_than_seconds=60, limit=200) -> int:
    """IPNs still waiting for a verification answer (PayPal was unreachable): try them again."""
    since = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(PayPalIpn.objects.filter(Q(outcome=PayPalIpn.Outcome.RECEIVED), created__lt=since)
               .order_by("pk").values_list("pk", flat=True)[:limit])
    for ipn_id in ids:
        try:
            ipn_process(ipn_id=ipn_id)
        except Exception as exc:
            # Retried every few minutes in id order: one IPN that cannot be applied would otherwise
            # hold back every later one for good. Held, a person looks at it; nothing was credited.
            logger.exception("PayPal IPN %s could not be applied", ipn_id)
            PayPalIpn.objects.filter(pk=ipn_id, outcome=PayPalIpn.Outcome.RECEIVED).update(
                outcome=PayPalIpn.Outcome.HELD, updated=timezone.now(),
                reason=f"Could not be applied ({exc.__class__.__name__}: {exc}); nothing was credited."[:300])
    return len(ids)
