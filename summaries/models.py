from decimal import Decimal

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.core.validators import MinValueValidator
from django.db import models, transaction
from django.db.models.functions import Now
from django.urls import reverse

from connex.models import SingleRowModel, TimeStampedModel

from .periods import EARLIEST

CHARGE = {"max_digits": 18, "decimal_places": 6}
# Largest charge or cost one CDR may carry (exclusive). Summaries add up to 2**63 CDRs of at most
# this much, so their columns (TOTAL) hold any sum of valid CDRs: 1e12 * 9.3e18 < 1e32.
CDR_MONEY_LIMIT = Decimal("1e12")
TOTAL = {"max_digits": 38, "decimal_places": 6}
# No CDR starts before this (the importer refuses it), so no summary or report period either.
CDR_EARLIEST = EARLIEST


class CallDetailRecord(models.Model):
    """One call as the switch reported it. Append-only; summaries are derived from these.

    Stored for volume: the table is `PARTITION BY RANGE (start_time)`, one partition per UTC day
    (summaries/partitions.py), created ahead by a daily task and on demand by an import that reaches
    a day without one. Retention (CdrRetentionOptions) detaches and drops whole partitions past the
    cutoff, which costs no vacuum and no index bloat; hourly and daily summaries, the ledger and
    invoices are kept, so they stay correct after raw CDRs are gone.

    Every read names a start_time range, so PostgreSQL prunes to the partitions of that range; a BRIN
    index on start_time serves time ranges inside a partition, and the primary key in the database,
    (customer_id, start_time, id), one customer's period: a partitioned table's keys must hold the
    partition key, and customer first is the distribution column of a distributed engine. ids come
    from one sequence, so `id` alone stays unique; a lookup by id alone probes every partition, so
    writers name the customer and day too (routing/recalc.py).
    call_id is unique across all days through CdrCallId. No foreign keys in the database: the
    importer checks customers, cards and revisions in its statement and locks the customers it writes
    to, and a trigger refuses to delete a customer that has CDRs.
    """

    call_id = models.CharField(max_length=128, help_text="Unique across all days: see CdrCallId.")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="cdrs",
                                 db_index=False, db_constraint=False)
    start_time = models.DateTimeField()
    answer_time = models.DateTimeField(null=True, blank=True)
    end_time = models.DateTimeField()
    duration = models.PositiveIntegerField(help_text="Seconds talked.")
    billed_duration = models.PositiveIntegerField(help_text="Seconds billed.")
    cli = models.CharField(max_length=32, blank=True)
    dialed_number = models.CharField(max_length=32)
    destination = models.CharField(max_length=120, blank=True)
    sip_code = models.PositiveSmallIntegerField()
    pdd_ms = models.PositiveIntegerField(default=0)
    charge = models.DecimalField(**CHARGE, default=Decimal("0"))
    cost = models.DecimalField(**CHARGE, default=Decimal("0"))
    imported_at = models.DateTimeField(auto_now_add=True)
    # What priced the call when the panel rated it (empty when the charge came in the file). No
    # index: nothing lists CDRs by card, and two more B-trees would slow every import.
    rate_card = models.ForeignKey("rates.RateCard", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", db_index=False, db_constraint=False)
    rate_revision = models.ForeignKey("rates.RateRevision", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+", db_index=False, db_constraint=False)
    # db_default: rows written by an importer that predates rating (a rolling deploy) stay valid.
    rate_prefix = models.CharField(max_length=20, blank=True, default="", db_default="")
    rate = models.DecimalField(max_digits=14, decimal_places=6, null=True, blank=True, help_text="Per minute.")

    class Meta:
        indexes = [
            # The primary key in the database is (customer_id, start_time, id): it serves one
            # customer's period, so no separate (customer, start_time) index (migration 0008).
            BrinIndex(fields=["start_time"], name="cdr_start_time_brin"),
        ]

    def __str__(self):
        return self.call_id

    def save(self, *args, **kwargs):
        """A single CDR saved through the ORM (tests, the admin, one-off fixes): its day's partition
        and its call_id's dedupe row come with it. Bulk writers use summaries.services."""
        from .partitions import cdr_partitions_ensure

        if self._state.adding:
            cdr_partitions_ensure(days=[self.start_time])
            with transaction.atomic():
                super().save(*args, **kwargs)
                CdrCallId.objects.create(call_id=self.call_id, start_time=self.start_time, cdr_id=self.pk)
            return
        super().save(*args, **kwargs)


class CdrCallId(models.Model):
    """call_id → where its CDR lives: the dedupe index across all daily partitions.

    A partitioned table cannot hold a unique index without the partition key, so the one global
    uniqueness (a call_id is stored once, whatever its day) lives in this narrow table: the import
    inserts here first with ON CONFLICT DO NOTHING and stores only the CDRs whose call_id went in.
    One B-tree probe per CDR, as the old unique index on the heap cost (the primary key is the only
    B-tree: migration 0009 drops Django's LIKE index, as call_ids are looked up whole); rows are
    ~70 bytes, a third of a CDR. Retention deletes the rows of dropped days (BRIN on start_time
    finds them). A work index, not business data: not audited.
    """

    call_id = models.CharField(max_length=128, primary_key=True)
    start_time = models.DateTimeField()
    cdr_id = models.BigIntegerField()

    class Meta:
        indexes = [BrinIndex(fields=["start_time"], name="cdrcallid_start_brin")]

    def __str__(self):
        return self.call_id


class CdrImport(models.Model):
    """One run of the CDR import: where its rows came from and what it stored.

    The source of the call-charges ledger entries it posted (one per customer), so a statement line
    names the file, API call or switch batch that charged it. Written once, in the import's own
    transaction, and never changed: a record in itself, not audited.
    """

    class Origin(models.TextChoices):
        FILE = "file", "CDR file"
        API = "api", "CDR API"
        SWITCH = "switch", "Switch calls"

    origin = models.CharField(max_length=10, choices=Origin.choices)
    name = models.CharField(max_length=200, blank=True, help_text="The file's name, when there is one.")
    imported_at = models.DateTimeField(db_default=Now())
    rows = models.BigIntegerField(default=0)
    inserted = models.BigIntegerField(default=0)
    charged = models.DecimalField(**TOTAL, default=Decimal("0"))

    class Meta:
        verbose_name = "CDR import"
        # The switch records one per batch of ended calls: the list pages newest first and filters
        # by date on this index, not by sorting the whole table.
        indexes = [models.Index(fields=["imported_at", "id"], name="cdrimport_imported_at")]
        # The source the ledger's call-charges entries name: written once, like them.
        triggers = [pgtrigger.Protect(name="cdrimport_write_once", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self):
        label = f"{self.get_origin_display()} {self.name}".rstrip()
        return f"{label} (import {self.pk})"

    def get_absolute_url(self):
        return reverse("summaries:cdr_import_detail", args=[self.pk])


@pghistory.track(
    pghistory.InsertEvent("cdr_retention.created"),
    pghistory.UpdateEvent("cdr_retention.updated"),
    exclude=["updated"],
)
class CdrRetentionOptions(SingleRowModel):
    """Settings → CDR retention: how many days of raw CDRs are kept."""

    raw_cdr_days = models.PositiveIntegerField(
        "Days of raw CDRs", default=180, validators=[MinValueValidator(2)],
        help_text="Whole UTC days of raw CDRs kept, counted back from today. Summaries, the ledger and "
                  "invoices are kept regardless.")
    dropped_before = models.DateField(null=True, blank=True, editable=False,
                                      help_text="Raw CDRs of UTC days before this one have been removed.")

    class Meta(SingleRowModel.Meta):
        verbose_name = "CDR retention"
        verbose_name_plural = "CDR retention"

    def __str__(self):
        return "CDR retention"


class HourlySummary(models.Model):
    """Totals of one customer's calls to one destination within one UTC hour."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="hourly_summaries")
    hour = models.DateTimeField(help_text="Start of the UTC hour.")
    destination = models.CharField(max_length=120, blank=True)
    attempts = models.BigIntegerField(default=0)
    answered = models.BigIntegerField(default=0)
    duration = models.BigIntegerField(default=0, help_text="Seconds talked.")
    billed_duration = models.BigIntegerField(default=0, help_text="Seconds billed.")
    pdd_ms_total = models.BigIntegerField(default=0)
    charge = models.DecimalField(**TOTAL, default=Decimal("0"))
    cost = models.DecimalField(**TOTAL, default=Decimal("0"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "hour", "destination"], name="hourlysummary_unique"),
        ]
        indexes = [
            models.Index(fields=["customer", "hour"], name="hourlysummary_customer_hour"),
            # A rollup replaces whole hours across all customers.
            models.Index(fields=["hour"], name="hourlysummary_hour"),
        ]

    def __str__(self):
        return f"{self.customer_id} {self.hour:%Y-%m-%d %H}:00 {self.destination}"

    @property
    def asr(self):
        return Decimal(self.answered * 100) / self.attempts if self.attempts else Decimal("0")

    @property
    def acd(self):
        return Decimal(self.duration) / self.answered if self.answered else Decimal("0")

    @property
    def average_pdd_ms(self):
        return Decimal(self.pdd_ms_total) / self.attempts if self.attempts else Decimal("0")

    @property
    def profit(self):
        return self.charge - self.cost


class DailySummary(models.Model):
    """One customer's totals for one UTC day, summed from its hourly summaries by the rollup.

    Serves the Daily, Weekly and Monthly views without reading every hour of a year.
    """

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="daily_summaries")
    day = models.DateTimeField(help_text="Start of the UTC day.")
    attempts = models.BigIntegerField(default=0)
    answered = models.BigIntegerField(default=0)
    duration = models.BigIntegerField(default=0, help_text="Seconds talked.")
    billed_duration = models.BigIntegerField(default=0, help_text="Seconds billed.")
    pdd_ms_total = models.BigIntegerField(default=0)
    charge = models.DecimalField(**TOTAL, default=Decimal("0"))
    cost = models.DecimalField(**TOTAL, default=Decimal("0"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "day"], name="dailysummary_unique")]
        indexes = [models.Index(fields=["day"], name="dailysummary_day")]

    def __str__(self):
        return f"{self.customer_id} {self.day:%Y-%m-%d}"


class PendingRollupHour(models.Model):
    """A UTC hour that received CDRs (or was asked to be rebuilt) since it was last rolled up.

    Written in the import transaction with an upsert that locks the row, so a rollup that has
    claimed the hour (FOR UPDATE SKIP LOCKED) and an import into it serialise: either the import
    waits and re-marks the hour after the rollup commits, or the rollup skips the hour until the
    import has committed. A work queue, not business data, so it is not audited.
    """

    hour = models.DateTimeField(primary_key=True)
    marked = models.DateTimeField(db_default=Now())

    def __str__(self):
        return f"{self.hour:%Y-%m-%d %H}:00"


class SetAsideRollupHour(models.Model):
    """A queued hour the rollup could not process, kept out of the queue with the error.

    The rollup moves a failing hour here and carries on with every other hour, so one bad hour
    never stops billing for everyone. New CDRs in the hour queue it again; a successful rollup of
    it removes it from here. Staff see these on the health page.
    """

    hour = models.DateTimeField(primary_key=True)
    error = models.TextField()
    set_aside_at = models.DateTimeField(db_default=Now())

    def __str__(self):
        return f"{self.hour:%Y-%m-%d %H}:00"


@pghistory.track(
    pghistory.InsertEvent("summary_rebuild.created"),
    pghistory.UpdateEvent("summary_rebuild.updated"),
    exclude=["updated", "hours_done"],  # progress ticks are not history
)
class SummaryRebuild(TimeStampedModel):
    """A staff request to recompute the summaries of a date range, run by a task."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    date_from = models.DateField()
    date_to = models.DateField(help_text="Inclusive.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    hours_total = models.PositiveIntegerField(default=0)
    hours_done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    class Meta:
        permissions = [
            ("rebuild_summaries", "Can rebuild summaries from CDRs"),
        ]
        ordering = ["-created"]
        constraints = [models.CheckConstraint(condition=models.Q(date_to__gte=models.F("date_from")),
                                              name="summaryrebuild_range_ordered")]

    def __str__(self):
        return f"Rebuild {self.date_from} – {self.date_to}"

    @property
    def percent(self):
        return int(self.hours_done * 100 / self.hours_total) if self.hours_total else (100 if self.state == "done" else 0)

    @property
    def finished(self):
        return self.state in (self.State.DONE, self.State.FAILED)
