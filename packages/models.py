import re
from decimal import Decimal

import pghistory
import pgtrigger
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from connex.models import TimeStampedModel
from connex.validators import plain_text
from customers.models import validate_currency

MONEY = {"max_digits": 14, "decimal_places": 4}
ZERO = Decimal("0")


@pghistory.track(
    pghistory.InsertEvent("package.created"),
    pghistory.UpdateEvent("package.updated"),
    pghistory.DeleteEvent("package.deleted"),
    exclude=["updated"],
)
class Package(TimeStampedModel):
    """A product sold by the period: a recurring charge, or free minutes to destinations matching a
    pattern (optionally with a minimum spend whose shortfall is charged at the period's end)."""

    class Frequency(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly (Monday to Sunday)"
        MONTHLY = "monthly", "Monthly"

    class Kind(models.TextChoices):
        RECURRING = "recurring", "Recurring charge"
        FREE_MINUTES = "free_minutes", "Free minutes"

    name = models.CharField(max_length=120, validators=[plain_text])
    currency = models.CharField(max_length=3, validators=[validate_currency])
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.RECURRING)
    cost = models.DecimalField(**MONEY, default=ZERO, validators=[MinValueValidator(ZERO)],
                               help_text="What one period costs us.")
    retail = models.DecimalField(**MONEY, default=ZERO, validators=[MinValueValidator(ZERO)],
                                 help_text="What the customer pays per period (times the quantity).")
    setup_cost = models.DecimalField(**MONEY, default=ZERO, validators=[MinValueValidator(ZERO)])
    setup_retail = models.DecimalField(**MONEY, default=ZERO, validators=[MinValueValidator(ZERO)],
                                       help_text="Charged once, with the first period.")
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.MONTHLY)
    day_of_month = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text="Monthly packages: the day each period starts; 29–31 mean the month's end in shorter months.")
    minimum_days = models.PositiveIntegerField(default=0, help_text="A subscription runs at least this many days.")
    free_minutes = models.PositiveIntegerField(default=0, help_text="Free minutes: minutes per period (times the "
                                                                    "quantity).")
    destination_pattern = models.CharField(
        max_length=200, blank=True,
        help_text="Free minutes: regular expression on the dialled number (E.164 digits), e.g. ^44|^91|^1; "
                  "empty for every destination.")
    minimum_spend = models.DecimalField(**MONEY, null=True, blank=True, validators=[MinValueValidator(ZERO)],
                                        help_text="Free minutes: call charges per period below this are made up "
                                                  "at the period's end (times the quantity).")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="package_name_ci_unique",
                                    violation_error_message="A package with this name already exists."),
            models.CheckConstraint(condition=Q(day_of_month__gte=1, day_of_month__lte=31),
                                   name="package_day_of_month_range"),
            models.CheckConstraint(condition=Q(cost__gte=0, retail__gte=0, setup_cost__gte=0, setup_retail__gte=0),
                                   name="package_money_non_negative"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("packages:package_edit", args=[self.pk])

    def clean(self):
        errors = {}
        if self.destination_pattern:
            try:
                re.compile(self.destination_pattern)
            except re.error as exc:
                errors["destination_pattern"] = [f"Not a valid regular expression: {exc}."]
        if self.kind == self.Kind.FREE_MINUTES and not self.free_minutes:
            errors["free_minutes"] = ["A free-minutes package gives at least one minute per period."]
        if self.kind == self.Kind.RECURRING and (self.free_minutes or self.minimum_spend is not None):
            errors["kind"] = ["Free minutes and a minimum spend belong to free-minutes packages."]
        if errors:
            raise ValidationError(errors)

    @property
    def free_seconds(self):
        return self.free_minutes * 60 if self.kind == self.Kind.FREE_MINUTES else 0


@pghistory.track(
    pghistory.InsertEvent("package_subscription.created"),
    pghistory.UpdateEvent("package_subscription.updated"),
    pghistory.DeleteEvent("package_subscription.deleted"),
    exclude=["updated"],
)
class PackageSubscription(TimeStampedModel):
    """A customer's (or one of its DIDs') package from `start` to `end` (both days included, UTC).

    Each period it overlaps is charged once (PackageCharge); free minutes are used per period in
    the order calls are rated (PackageUsage)."""

    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="subscriptions")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="package_subscriptions")
    did = models.ForeignKey("dids.Did", on_delete=models.SET_NULL, null=True, blank=True,
                            related_name="package_subscriptions", verbose_name="DID",
                            help_text="Optional: the package belongs to this number (its free minutes count calls "
                                      "to it only).")
    quantity = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    start = models.DateField()
    end = models.DateField(null=True, blank=True, help_text="Last day included; empty for open-ended.")
    auto_decrement = models.BooleanField("auto-decrement credit", default=True,
                                         help_text="Debit the balance each period; otherwise the fee is only "
                                                   "invoiced.")

    class Meta:
        ordering = ["start", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="packagesubscription_quantity_positive"),
            models.CheckConstraint(condition=Q(end__isnull=True) | Q(end__gte=F("start")),
                                   name="packagesubscription_end_after_start"),
        ]
        indexes = [models.Index(fields=["customer", "start"], name="packagesub_customer_start")]

    def __str__(self):
        return f"{self.package} × {self.quantity}" if self.quantity != 1 else str(self.package)

    def clean(self):
        errors = {}
        package = self.package if self.package_id else None
        if package and self.customer_id and package.currency != self.customer.currency:
            errors["package"] = [f"The package is in {package.currency}, the customer in {self.customer.currency}."]
        if self.did_id and self.did.customer_id != self.customer_id:
            errors["did"] = ["The number is not assigned to this customer."]
        if package and self.start and self.end and package.minimum_days and \
                (self.end - self.start).days + 1 < package.minimum_days:
            errors["end"] = [f"The package runs at least {package.minimum_days} days."]
        if errors:
            raise ValidationError(errors)


@pghistory.track(pghistory.InsertEvent("package_charge.created"))
class PackageCharge(models.Model):
    """One charge of a subscription for one period: the database keeps it unique, so overlapping
    runs of the periodic task charge each period exactly once. Written once, never changed."""

    class Kind(models.TextChoices):
        SETUP = "setup", "Setup"
        RECURRING = "recurring", "Period fee"
        SHORTFALL = "shortfall", "Minimum spend shortfall"

    subscription = models.ForeignKey(PackageSubscription, on_delete=models.PROTECT, related_name="charges")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="package_charges")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    period_start = models.DateField()
    period_end = models.DateField(help_text="First day after the period.")
    amount = models.DecimalField(**MONEY)
    cost = models.DecimalField(**MONEY, default=ZERO)
    description = models.CharField(max_length=200, validators=[plain_text])
    debited = models.BooleanField(default=False, help_text="Posted to the balance (auto-decrement).")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_start", "pk"]
        constraints = [models.UniqueConstraint(fields=["subscription", "kind", "period_start"],
                                               name="packagecharge_once_per_period")]
        indexes = [models.Index(fields=["customer", "period_start"], name="packagecharge_customer_period")]
        triggers = [pgtrigger.Protect(name="packagecharge_append_only",
                                      operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self):
        return self.description


class PackageUsage(models.Model):
    """Free seconds one call used: unique per call, so a retried import or a recalc never uses
    minutes twice. Written when the call is rated, never changed; one row per call (like CDRs), so
    not audited row by row."""

    call_id = models.CharField(max_length=128, unique=True)
    subscription = models.ForeignKey(PackageSubscription, on_delete=models.CASCADE, related_name="usage")
    period_start = models.DateField()
    seconds = models.PositiveIntegerField()
    saved = models.DecimalField(max_digits=18, decimal_places=6, help_text="Charge the free seconds took off.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["subscription", "period_start"], name="packageusage_sub_period")]

    def __str__(self):
        return f"{self.call_id}: {self.seconds} s"
