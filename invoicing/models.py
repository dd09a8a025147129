from datetime import timedelta
from decimal import Decimal

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Func, Q
from django.urls import reverse
from django.utils import timezone

from connex.models import SingleRowModel, TimeStampedModel
from connex.validators import plain_text

ZERO = Decimal("0")
MONEY = {"max_digits": 18, "decimal_places": 2}


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


@pghistory.track(
    pghistory.InsertEvent("invoice_template.created"),
    pghistory.UpdateEvent("invoice_template.updated"),
    pghistory.DeleteEvent("invoice_template.deleted"),
    exclude=["updated"],
)
class InvoiceTemplate(TimeStampedModel):
    """HTML and CSS an invoice PDF is rendered from."""

    name = models.CharField(max_length=100, unique=True, validators=[plain_text])
    html = models.TextField()
    css = models.TextField(blank=True)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("invoicing:template_edit", args=[self.pk])


class InvoiceQuerySet(models.QuerySet):
    def search(self, query):
        return self.filter(Q(number__icontains=query) | Q(customer__name__icontains=query)
                           | Q(external_accounting_id__icontains=query))

    def overdue(self, today=None):
        today = today or timezone.now().date()
        return self.filter(status__in=[Invoice.Status.ISSUED, Invoice.Status.PARTLY_PAID], due_date__lt=today)


@pghistory.track(
    pghistory.InsertEvent("invoice.created"),
    pghistory.UpdateEvent("invoice.updated"),
    pghistory.DeleteEvent("invoice.deleted"),
    exclude=["updated"],
    model_name="InvoiceAuditEvent",  # InvoiceEvent is the typed domain event below
    obj_field=pghistory.ObjForeignKey(related_name="audit_events"),
)
class Invoice(TimeStampedModel):
    """A bill for one customer and one period (end exclusive, UTC), or a receipt for a payment.

    Money is rounded half-up to 2 places: each line from the sum of its summaries' charges,
    tax on the subtotal, total = subtotal + tax. The number is assigned when issued.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ISSUED = "issued", "Issued"
        PARTLY_PAID = "partly_paid", "Partly paid"
        PAID = "paid", "Paid"
        VOID = "void", "Void"

    class Kind(models.TextChoices):
        USAGE = "usage", "Usage"
        RECEIPT = "receipt", "Payment receipt"

    number = models.CharField(max_length=40, null=True, blank=True, unique=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="invoices")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.USAGE)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True)
    subtotal = models.DecimalField(**MONEY, default=ZERO)
    tax_percent = models.DecimalField("tax %", max_digits=5, decimal_places=2, default=ZERO)
    tax_amount = models.DecimalField(**MONEY, default=ZERO)
    total = models.DecimalField(**MONEY, default=ZERO)
    amount_paid = models.DecimalField(**MONEY, default=ZERO)
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    external_accounting_id = models.CharField("ext. accounting ID", max_length=64, blank=True, db_index=True)
    template = models.ForeignKey(InvoiceTemplate, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="invoices")
    pdf = models.FileField(upload_to="invoices/%Y/%m/", blank=True)
    void_reason = models.TextField(blank=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        permissions = [
            ("void_invoice", "Can void an issued invoice"),
        ]
        ordering = ["-period_start", "-pk"]
        constraints = [
            ExclusionConstraint(
                name="invoice_period_no_overlap",
                expressions=[(TsTzRange("period_start", "period_end"), RangeOperators.OVERLAPS),
                             ("customer", RangeOperators.EQUAL)],
                condition=Q(kind="usage") & ~Q(status="void"),
                violation_error_message="This period overlaps another invoice of the customer.",
            ),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")),
                                   name="invoice_period_ordered"),
            models.CheckConstraint(condition=Q(status__in=["draft", "void"]) | Q(number__isnull=False),
                                   name="invoice_issued_has_number"),
        ]
        indexes = [models.Index(fields=["customer", "period_start"], name="invoice_customer_period")]
        # An issued invoice is a legal record: what it bills, for whom and how much never changes
        # (payments and voiding change only its status and amount paid). Enforced for every
        # writer, update() and raw SQL included.
        triggers = [pgtrigger.Trigger(
            name="invoice_issued_fixed", when=pgtrigger.Before, operation=pgtrigger.Update,
            condition=pgtrigger.Condition(
                'OLD."currency" IS DISTINCT FROM NEW."currency" OR (OLD."status" <> \'draft\' AND ('
                'OLD."customer_id", OLD."kind", OLD."number", OLD."period_start", OLD."period_end", '
                'OLD."subtotal", OLD."tax_percent", OLD."tax_amount", OLD."total") IS DISTINCT FROM ('
                'NEW."customer_id", NEW."kind", NEW."number", NEW."period_start", NEW."period_end", '
                'NEW."subtotal", NEW."tax_percent", NEW."tax_amount", NEW."total"))'),
            func="RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = CASE "
                 "WHEN OLD.currency IS DISTINCT FROM NEW.currency "
                 "THEN 'The currency of an invoice cannot change (invoice ' || OLD.id || ').' "
                 "ELSE 'Invoice ' || OLD.number || ' is ' || OLD.status || ': its customer, period, number "
                 "and amounts cannot change.' END; RETURN NULL;",
        )]

    def __str__(self):
        return self.number or f"Draft #{self.pk}"

    def get_absolute_url(self):
        return reverse("invoicing:invoice_detail", args=[self.pk])

    @property
    def is_draft(self):
        return self.status == self.Status.DRAFT

    @property
    def outstanding(self):
        return self.total - self.amount_paid

    @property
    def period_display(self):
        """The period as people read it (last day included); a receipt shows the day of its payment."""
        from connex.templatetags.connex_format import format_period

        return format_period(self.period_start, self.period_end)

    @property
    def period_last_day(self):
        """The last day the period covers (the stored end is exclusive)."""
        return (self.period_end - timedelta(microseconds=1)).date() if self.period_end > self.period_start \
            else self.period_end.date()

    @property
    def is_overdue(self):
        return (self.status in (self.Status.ISSUED, self.Status.PARTLY_PAID) and self.due_date is not None
                and self.due_date < timezone.now().date())

    @property
    def pdf_filename(self):
        return f"{self.number or f'draft-{self.pk}'}.pdf"


@pghistory.track(
    pghistory.InsertEvent("invoice_line.created"),
    pghistory.UpdateEvent("invoice_line.updated"),
    pghistory.DeleteEvent("invoice_line.deleted"),
)
class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    description = models.CharField(max_length=200, validators=[plain_text])
    quantity = models.DecimalField("minutes", max_digits=16, decimal_places=2, default=ZERO)
    amount = models.DecimalField(**MONEY, default=ZERO)

    class Meta:
        ordering = ["position", "pk"]
        # save() and delete() refuse changes to lines of an issued invoice; this refuses them for
        # bulk_create(), update(), queryset deletes and raw SQL too.
        triggers = [pgtrigger.Trigger(
            name="invoice_line_draft_only", when=pgtrigger.Before,
            operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
            func="IF EXISTS (SELECT 1 FROM invoicing_invoice WHERE status <> 'draft' "
                 "AND id IN (OLD.invoice_id, NEW.invoice_id)) THEN "
                 "RAISE EXCEPTION USING ERRCODE = 'check_violation', "
                 "MESSAGE = 'Only lines of a draft invoice can change.'; END IF; "
                 "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW;",
        )]

    def __str__(self):
        return self.description

    def save(self, *args, **kwargs):
        # Issued invoices are a legal record: their lines never change.
        if not Invoice.objects.filter(pk=self.invoice_id, status=Invoice.Status.DRAFT).exists():
            raise ValidationError("Only lines of a draft invoice can change.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if not Invoice.objects.filter(pk=self.invoice_id, status=Invoice.Status.DRAFT).exists():
            raise ValidationError("Only lines of a draft invoice can change.")
        return super().delete(*args, **kwargs)

    @property
    def unit_price(self):
        return (self.amount / self.quantity).quantize(Decimal("0.000001")) if self.quantity else ZERO


class InvoiceEvent(models.Model):
    """What happened to an invoice, written in the same transaction as the action."""

    class Type(models.TextChoices):
        CREATED = "created", "Created"
        LINE_ADDED = "line_added", "Line added"
        LINE_CHANGED = "line_changed", "Line changed"
        LINE_REMOVED = "line_removed", "Line removed"
        ISSUED = "issued", "Issued"
        RENDERED = "rendered", "PDF rendered"
        EMAILED = "emailed", "Emailed"
        PARTLY_PAID = "partly_paid", "Partly paid"
        PAID = "paid", "Paid"
        UNPAID = "unpaid", "Payment withdrawn"
        VOIDED = "voided", "Voided"

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=20, choices=Type.choices)
    date = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    parameters = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["date", "pk"]

    def __str__(self):
        return f"{self.get_type_display()} {self.invoice}"


@pghistory.track(
    pghistory.InsertEvent("payment.created"),
    pghistory.UpdateEvent("payment.updated"),
    pghistory.DeleteEvent("payment.deleted"),
    exclude=["updated"],
)
class Payment(TimeStampedModel):
    """Money received from a customer. `credited` says whether the balance currently includes it."""

    class Method(models.TextChoices):
        MANUAL = "manual", "Manual"
        BANK_TRANSFER = "bank_transfer", "Bank transfer"
        PAYPAL = "paypal", "PayPal"
        CARD = "card", "Card"

    class Status(models.TextChoices):
        COMPLETED = "completed", "Completed"
        PENDING = "pending", "Pending"
        CANCELLED = "cancelled", "Cancelled"

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="payments")
    description = models.CharField(max_length=200, blank=True, validators=[plain_text])
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    exchange_rate = models.DecimalField(max_digits=18, decimal_places=8, default=Decimal("1"),
                                        help_text="Account-currency units per unit of the payment currency.")
    credited_amount = models.DecimalField(**MONEY, help_text="In the account currency.")
    method = models.CharField(max_length=20, choices=Method.choices, default=Method.MANUAL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.COMPLETED, db_index=True)
    credited = models.BooleanField(default=False, editable=False)
    receipt = models.OneToOneField(Invoice, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="receipt_for")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        permissions = [
            ("record_payment", "Can record a payment and change its status"),
        ]
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(exchange_rate__gt=0), name="payment_exchange_rate_positive"),
            models.CheckConstraint(condition=~Q(credited=True) | Q(status="completed"),
                                   name="payment_credited_only_when_completed"),
        ]

    def __str__(self):
        return f"{self.amount} {self.currency} ({self.get_status_display()})"


@pghistory.track(
    pghistory.InsertEvent("payment_allocation.created"),
    pghistory.UpdateEvent("payment_allocation.updated"),
    pghistory.DeleteEvent("payment_allocation.deleted"),
)
class PaymentAllocation(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(**MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["payment", "invoice"], name="paymentallocation_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="paymentallocation_amount_positive"),
        ]

    def __str__(self):
        return f"{self.amount} of {self.payment} to {self.invoice}"


@pghistory.track(
    pghistory.InsertEvent("invoicing_options.created"),
    pghistory.UpdateEvent("invoicing_options.updated"),
    exclude=["updated"],
)
class InvoicingOptions(SingleRowModel):
    """Settings → Invoicing: numbering, how usage becomes lines, and empty periods."""

    class LineGrouping(models.TextChoices):
        DESTINATION = "destination", "One line per destination"
        DAY = "day", "One line per day"

    invoice_number_prefix = models.CharField(max_length=20, default="INV-", blank=True)
    invoice_next_number = models.PositiveIntegerField(default=1)
    invoice_line_grouping = models.CharField(max_length=12, choices=LineGrouping.choices,
                                             default=LineGrouping.DESTINATION)
    invoice_empty_periods = models.BooleanField(
        "invoice periods without usage", default=False,
        help_text="Auto-generation also creates invoices for periods with no usage.")

    class Meta(SingleRowModel.Meta):
        verbose_name = "invoicing options"
        verbose_name_plural = "invoicing options"

    def __str__(self):
        return "Invoicing options"
