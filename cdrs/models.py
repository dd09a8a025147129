from decimal import Decimal

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from connex.models import TimeStampedModel
from ledger.models import AMOUNT


@pghistory.track(
    pghistory.InsertEvent("recalc_job.created"),
    pghistory.UpdateEvent("recalc_job.updated", condition=pghistory.AnyChange("state")),
)
class RecalcJob(TimeStampedModel):
    """A staff request to recalculate one customer's UTC day of CDRs, run by a task.

    The preview figures are what the staff member confirmed; the applied ones what the run did
    (they differ only when the day's CDRs changed in between). Issued invoices are never changed:
    `invoices` names those whose periods hold the day, for a person to follow up.
    """

    class Mode(models.TextChoices):
        REFRESH_CREDIT = "refresh_credit", "Refresh credit"
        REFRESH_ALL = "refresh_summaries_and_credit", "Refresh summaries and credit"
        RERATE = "rerate", "Re-rate with the live cards"
        ADJUST_DURATION = "adjust_duration", "Adjust duration, then re-rate"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Recalculating"
        ROLLING = "rolling", "Re-rolling summaries"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="recalc_jobs")
    day = models.DateField(help_text="UTC day of call start.")
    mode = models.CharField(max_length=32, choices=Mode.choices)
    longer_than = models.PositiveIntegerField(null=True, blank=True,
                                              help_text="Adjust duration: calls longer than this many seconds …")
    new_duration = models.PositiveIntegerField(null=True, blank=True, help_text="… get this duration (seconds).")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    preview_calls = models.PositiveIntegerField(default=0)
    preview_delta = models.DecimalField(**AMOUNT, default=Decimal("0"),
                                        help_text="Balance change shown before confirming (− charges more).")
    calls = models.PositiveIntegerField(default=0, help_text="Calls changed by the run.")
    delta = models.DecimalField(**AMOUNT, default=Decimal("0"), help_text="Balance change posted to the ledger.")
    unpriced = models.JSONField(default=list, blank=True, help_text="Calls left as they were: [call_id, reason].")
    invoices = models.JSONField(default=list, blank=True,
                                help_text="Issued invoices whose period holds the day (left unchanged).")
    ledger_entry = models.ForeignKey("ledger.LedgerEntry", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    hours_done = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    class Meta:
        ordering = ["-created", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(mode="adjust_duration")
                | Q(longer_than__isnull=False, new_duration__isnull=False, new_duration__lte=models.F("longer_than")),
                name="recalcjob_adjust_needs_durations"),
            # One unfinished job per customer day: a second click cannot queue the same change twice.
            models.UniqueConstraint(fields=["customer", "day"], condition=Q(state__in=["queued", "running", "rolling"]),
                                    name="recalcjob_one_open_per_day",
                                    violation_error_message="A recalc of this day is already queued or running."),
        ]
        indexes = [models.Index(fields=["customer", "day"], name="recalcjob_customer_day")]

    def __str__(self):
        return f"{self.get_mode_display()} of {self.day:%Y-%m-%d}"

    def clean(self):
        from datetime import UTC, datetime

        from django.core.exceptions import ValidationError

        errors = {}
        if self.mode == self.Mode.ADJUST_DURATION:
            if self.longer_than is None:
                errors["longer_than"] = "Say which calls are too long (seconds)."
            if self.new_duration is None:
                errors["new_duration"] = "Say the duration those calls get (seconds)."
            elif self.longer_than is not None and self.new_duration > self.longer_than:
                errors["new_duration"] = "The new duration cannot be longer than the calls it replaces."
        if self.day and self.day > datetime.now(UTC).date():
            errors["day"] = "That UTC day has not started yet."
        if errors:
            raise ValidationError(errors)

    def get_absolute_url(self):
        return reverse("cdrs:recalc_detail", args=[self.pk])

    @property
    def finished(self):
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def rerolls(self):
        return self.mode != self.Mode.REFRESH_CREDIT

    @property
    def percent(self):
        """Queued 0, recalculated 40, then the day's 24 hours re-rolled up to 100."""
        if self.state == self.State.DONE:
            return 100
        if self.state == self.State.ROLLING:
            return 40 + int(self.hours_done * 60 / 24)
        return 10 if self.state == self.State.RUNNING else 0
