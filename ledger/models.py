from decimal import Decimal

import pghistory
import pgtrigger
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone

from connex.validators import plain_text

AMOUNT = {"max_digits": 20, "decimal_places": 6}


@pghistory.track(
    pghistory.InsertEvent("ledger_entry.created"),
    pghistory.UpdateEvent("ledger_entry.updated"),
    pghistory.DeleteEvent("ledger_entry.deleted"),
)
class LedgerEntry(models.Model):
    """One movement of a customer's balance; the balance is the sum of its entries.

    Entries are append-only: a correction is a new entry (an adjustment or a reversal), never an
    edit. Positive amounts credit the balance, negative ones debit it. Call charges are posted once
    per import and customer, not per call, so the ledger stays small while raw CDRs may be dropped.
    """

    class Kind(models.TextChoices):
        OPENING = "opening", "Opening balance"
        CALL_CHARGES = "call_charges", "Call charges"
        PAYMENT = "payment", "Payment"
        PAYMENT_REVERSAL = "payment_reversal", "Payment reversal"
        ADJUSTMENT = "adjustment", "Adjustment"
        PACKAGE_FEE = "package_fee", "Package fee"
        DID_FEE = "did_fee", "DID fee"

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="ledger_entries")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = models.DecimalField(**AMOUNT, help_text="Credit (+) or debit (−) in the account currency.")
    posted_at = models.DateTimeField(default=timezone.now)
    description = models.CharField(max_length=200, blank=True, validators=[plain_text])
    calls = models.PositiveIntegerField(default=0, help_text="Calls priced by a call-charges entry.")
    source_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    source_id = models.BigIntegerField(null=True, blank=True)
    source = GenericForeignKey("source_type", "source_id")

    class Meta:
        verbose_name_plural = "ledger entries"
        # A correction is a new entry; the database refuses edits and deletions of posted ones.
        triggers = [pgtrigger.Protect(name="ledgerentry_append_only", operation=pgtrigger.Update | pgtrigger.Delete)]
        ordering = ["-posted_at", "-pk"]
        indexes = [
            models.Index(fields=["customer", "posted_at", "id"], name="ledgerentry_statement"),
            models.Index(fields=["source_type", "source_id"], name="ledgerentry_source"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledgerentry_amount_not_zero"),
            models.CheckConstraint(condition=Q(source_type__isnull=True, source_id__isnull=True)
                                   | Q(source_type__isnull=False, source_id__isnull=False),
                                   name="ledgerentry_source_complete"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount:+}"


class DailySpend(models.Model):
    """A customer's call charges per UTC day of call start, kept by every posting of call charges.

    Call admission reads the day's spend here with one index probe, never from raw CDRs.
    """

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="daily_spend")
    day = models.DateField()
    amount = models.DecimalField(**AMOUNT, default=Decimal("0"))
    calls = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "day"], name="dailyspend_unique")]

    def __str__(self):
        return f"{self.customer_id} {self.day}: {self.amount}"


class StatementLine(models.Model):
    """A ledger entry with the customer's balance after it: the database view `ledger_statement`.

    The running balance is a window over the customer's whole history; a filter on kind or time
    applies after the window (only the customer partition is pushed down), so every shown row keeps
    its true balance.
    """

    entry = models.OneToOneField(LedgerEntry, primary_key=True, db_column="id", on_delete=models.DO_NOTHING,
                                 related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.DO_NOTHING, related_name="+")
    kind = models.CharField(max_length=20, choices=LedgerEntry.Kind.choices)
    amount = models.DecimalField(**AMOUNT)
    posted_at = models.DateTimeField()
    description = models.CharField(max_length=200, validators=[plain_text])
    calls = models.PositiveIntegerField()
    source_type = models.ForeignKey(ContentType, null=True, on_delete=models.DO_NOTHING, related_name="+")
    source_id = models.BigIntegerField(null=True)
    running_balance = models.DecimalField(max_digits=24, decimal_places=6)

    class Meta:
        managed = False
        db_table = "ledger_statement"
        ordering = ["-posted_at", "-entry_id"]

    def __str__(self):
        return f"{self.posted_at:%Y-%m-%d %H:%M} {self.amount:+} → {self.running_balance}"

