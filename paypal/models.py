"""PayPal top-ups: the portal's requests to pay, every IPN PayPal sends, and the PayPal settings."""

import re
from decimal import Decimal, InvalidOperation

import pghistory
import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from connex.iso import currency_codes
from connex.models import SingleRowModel, TimeStampedModel

MONEY = {"max_digits": 18, "decimal_places": 2}
RATE_LINE = re.compile(r"^\s*([A-Za-z]{3})\s+([A-Za-z]{3})\s+([0-9]+(?:\.[0-9]+)?)\s*$")


def exchange_rates_parse(text) -> dict[tuple[str, str], Decimal]:
    """{(from, to): rate} from lines like "EUR USD 1.08" (one EUR credits 1.08 USD)."""
    rates, errors = {}, []
    for number, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        match = RATE_LINE.match(line)
        if not match:
            errors.append(f"Line {number} (“{line.strip()}”): write FROM TO RATE, e.g. EUR USD 1.08.")
            continue
        source, target = match.group(1).upper(), match.group(2).upper()
        unknown = [code for code in (source, target) if code not in currency_codes()]
        try:
            rate = Decimal(match.group(3))
        except InvalidOperation:  # pragma: no cover - the pattern allows only numbers
            rate = Decimal(0)
        if unknown:
            errors.append(f"Line {number}: {', '.join(unknown)} is not an ISO 4217 currency code.")
        elif rate <= 0:
            errors.append(f"Line {number}: the rate must be above zero.")
        elif source == target:
            errors.append(f"Line {number}: the two currencies are the same.")
        elif (source, target) in rates:
            errors.append(f"Line {number}: {source} to {target} is given twice.")
        else:
            rates[(source, target)] = rate
    if errors:
        raise ValidationError(errors)
    return rates


def validate_exchange_rates(value):
    exchange_rates_parse(value)


@pghistory.track(
    pghistory.InsertEvent("paypal_options.created"),
    pghistory.UpdateEvent("paypal_options.updated"),
    exclude=["updated"],
)
class PayPalOptions(SingleRowModel):
    """Settings → PayPal: whether top-ups are offered, the company's PayPal address, exchange rates."""

    enabled = models.BooleanField("offer PayPal top-ups", default=False)
    receiver_email = models.EmailField(
        "company PayPal email", blank=True,
        help_text="The PayPal account payments go to. An IPN paying any other address is not credited.")
    exchange_rates = models.TextField(
        blank=True, validators=[validate_exchange_rates],
        help_text="For top-ups in a currency other than the account's, one line per pair: FROM TO RATE, "
                  "e.g. “EUR USD 1.08” credits 1.08 USD per EUR paid.")

    class Meta(SingleRowModel.Meta):
        verbose_name = "PayPal options"
        verbose_name_plural = "PayPal options"

    def __str__(self):
        return "PayPal options"

    def rate(self, source, target) -> Decimal | None:
        """Account-currency units credited per unit paid; None when no rate is set."""
        if source == target:
            return Decimal("1")
        return exchange_rates_parse(self.exchange_rates).get((source, target))


@pghistory.track(
    pghistory.InsertEvent("paypal_topup.created"),
    pghistory.UpdateEvent("paypal_topup.updated"),
    exclude=["updated"],
)
class PayPalTopup(TimeStampedModel):
    """A top-up a contact started in the portal; paid once PayPal's verified IPN for it arrives."""

    class State(models.TextChoices):
        STARTED = "started", "Sent to PayPal"
        PAID = "paid", "Paid"

    reference = models.CharField(max_length=40, unique=True, help_text="Sent to PayPal as `custom`.")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="paypal_topups")
    contact = models.ForeignKey("contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="paypal_topups")
    staff_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", help_text="The staff member, under Portal Login.")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    exchange_rate = models.DecimalField(max_digits=18, decimal_places=8, default=Decimal("1"))
    state = models.CharField(max_length=10, choices=State.choices, default=State.STARTED, db_index=True)
    payment = models.OneToOneField("invoicing.Payment", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="paypal_topup")

    class Meta:
        ordering = ["-created"]
        verbose_name = "PayPal top-up"
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="paypaltopup_amount_positive")]

    def __str__(self):
        return f"Top-up {self.amount} {self.currency} ({self.get_state_display()})"


@pghistory.track(
    pghistory.InsertEvent("paypal_ipn.created"),
    pghistory.UpdateEvent("paypal_ipn.updated"),
    exclude=["updated", "body"],
)
class PayPalIpn(TimeStampedModel):
    """One Instant Payment Notification exactly as PayPal posted it, and what became of it.

    The body is kept byte for byte (the verification posts it back unchanged) and the database
    refuses to change it. A transaction id is applied to a balance at most once: the partial
    unique constraint holds even when PayPal sends the same IPN twice at the same moment.
    """

    class Verification(models.TextChoices):
        PENDING = "", "Not yet verified"
        VERIFIED = "VERIFIED", "Verified by PayPal"
        INVALID = "INVALID", "Refused by PayPal (forged or altered)"

    class Outcome(models.TextChoices):
        RECEIVED = "received", "Received"
        CREDITED = "credited", "Credited"
        REVERSED = "reversed", "Refund or reversal debited"
        RESTORED = "restored", "Reversal cancelled, credited again"
        DUPLICATE = "duplicate", "Duplicate (already applied)"
        WAITING = "waiting", "Payment not completed yet"
        IGNORED = "ignored", "Nothing to credit"
        HELD = "held", "Held for review"
        INVALID = "invalid", "Not verified: nothing credited"

    APPLIED = (Outcome.CREDITED, Outcome.REVERSED, Outcome.RESTORED)

    body = models.BinaryField(help_text="The raw form body PayPal posted.")
    fields = models.JSONField(default=dict, help_text="The body's fields, decoded with its charset.")
    txn_id = models.CharField("transaction id", max_length=64, blank=True, db_index=True)
    parent_txn_id = models.CharField("parent transaction id", max_length=64, blank=True, db_index=True)
    txn_type = models.CharField(max_length=64, blank=True)
    payment_status = models.CharField(max_length=32, blank=True)
    receiver_email = models.CharField(max_length=254, blank=True)
    payer_email = models.CharField(max_length=254, blank=True)
    gross = models.DecimalField(**MONEY, null=True, blank=True, help_text="mc_gross: negative for refunds.")
    currency = models.CharField(max_length=3, blank=True)
    custom = models.CharField(max_length=255, blank=True)
    verification = models.CharField(max_length=8, choices=Verification.choices, default="", blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verify_attempts = models.PositiveSmallIntegerField(default=0)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.RECEIVED, db_index=True)
    reason = models.CharField(max_length=300, blank=True)
    customer = models.ForeignKey("customers.Customer", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="paypal_ipns")
    topup = models.ForeignKey(PayPalTopup, null=True, blank=True, on_delete=models.SET_NULL, related_name="ipns")
    payment = models.ForeignKey("invoicing.Payment", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="paypal_ipns")
    credited_amount = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True,
                                          help_text="What this IPN moved the balance by, in the account currency.")

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = "PayPal IPN"
        verbose_name_plural = "PayPal IPNs"
        constraints = [
            models.UniqueConstraint(fields=["txn_id"], condition=Q(outcome__in=["credited", "reversed", "restored"]),
                                    name="paypalipn_txn_applied_once"),
        ]
        triggers = [pgtrigger.Protect(
            name="paypalipn_body_immutable", operation=pgtrigger.Update,
            condition=pgtrigger.Q(old__body__df=pgtrigger.F("new__body")))]

    def __str__(self):
        return f"IPN {self.txn_id or self.pk} ({self.get_outcome_display()})"
