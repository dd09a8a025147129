from decimal import Decimal

import pghistory
import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Length, Lower
from django.db.models.lookups import Exact, Range
from django.urls import reverse

from connex.models import TimeStampedModel
from connex.validators import plain_text
from customers.models import validate_currency

RATE = {"max_digits": 14, "decimal_places": 6}


@pghistory.track(
    pghistory.InsertEvent("rate_card.created"),
    pghistory.UpdateEvent("rate_card.updated"),
    pghistory.DeleteEvent("rate_card.deleted"),
    exclude=["updated"],
)
class RateCard(TimeStampedModel):
    """A price list: what customers pay (sell) or what providers charge (buy), per dialled prefix."""

    class Kind(models.TextChoices):
        CUSTOMER = "customer", "Customer (sell)"
        PROVIDER = "provider", "Provider (buy)"

    class Direction(models.TextChoices):
        TERMINATION = "termination", "Termination"
        ORIGINATION = "origination", "Origination"

    class Rounding(models.TextChoices):
        HALF_UP = "half_up", "Half up"
        UP = "up", "Up"
        DOWN = "down", "Down"
        HALF_DOWN = "half_down", "Half down"

    name = models.CharField(max_length=120, validators=[plain_text])
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CUSTOMER)
    direction = models.CharField(max_length=12, choices=Direction.choices, default=Direction.TERMINATION)
    currency = models.CharField(max_length=3, validators=[validate_currency])
    precision = models.PositiveSmallIntegerField(default=4, validators=[MaxValueValidator(6)],
                                                 help_text="Decimal places a call's charge is rounded to.")
    rounding = models.CharField(max_length=10, choices=Rounding.choices, default=Rounding.HALF_UP)

    class Meta:
        ordering = ["name"]
        permissions = [("upload_rate_deck", "Can upload a rate deck (a new revision)")]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="ratecard_name_ci_unique",
                                    violation_error_message="A rate card with this name already exists."),
            models.CheckConstraint(condition=Q(precision__lte=6), name="ratecard_precision_max_6"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("rates:card_detail", args=[self.pk])


@pghistory.track(
    pghistory.InsertEvent("rate_revision.created"),
    pghistory.DeleteEvent("rate_revision.deleted"),
)
class RateRevision(models.Model):
    """One uploaded deck of a card. A call is priced by the latest revision live at its start."""

    card = models.ForeignKey(RateCard, on_delete=models.CASCADE, related_name="revisions")
    live_from = models.DateTimeField()
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    source = models.CharField(max_length=200, blank=True, help_text="File name, API or generated from a card.")
    row_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-live_from"]
        constraints = [models.UniqueConstraint(fields=["card", "live_from"], name="raterevision_card_live_from")]
        # The rows' reference to their revision, checked once per statement (see RateRow).
        triggers = [pgtrigger.Trigger(
            name="raterevision_rows_deleted_first", level=pgtrigger.Statement, when=pgtrigger.After,
            operation=pgtrigger.Delete, referencing=pgtrigger.Referencing(old="old_revisions"),
            func="""IF EXISTS (SELECT 1 FROM rates_raterow r WHERE r.revision_id IN (SELECT id FROM old_revisions))
                    THEN RAISE EXCEPTION 'rate revision still has rows' USING ERRCODE = 'foreign_key_violation';
                    END IF; RETURN NULL;""")]

    def __str__(self):
        return f"{self.card} from {self.live_from:%Y-%m-%d %H:%M}"


class RateRow(models.Model):
    """A prefix's price in one revision. Revisions are immutable: a change is a new upload.

    Rows are written by COPY-fed set-based inserts (a deck may hold hundreds of thousands), so the
    revision's creation is the audited event, not each row. (revision, prefix) is unique and its
    B-tree serves the longest-prefix lookup: `prefix = ANY(all prefixes of the number)`.

    The reference to the revision is checked by statement-level triggers (one set-based check per
    INSERT, however many rows) rather than a foreign key, whose per-row check cost more than the
    insert itself for a 250,000-row deck; that unique index also serves it, so no index of its own.
    """

    revision = models.ForeignKey(RateRevision, on_delete=models.CASCADE, related_name="rows", db_constraint=False,
                                 db_index=False)
    prefix = models.CharField(max_length=20, db_collation="C")
    name = models.CharField(max_length=120, blank=True)
    rate = models.DecimalField(**RATE, help_text="Per minute.")
    connect_fee = models.DecimalField(**RATE, default=Decimal("0"))
    mcd = models.PositiveIntegerField("MCD", default=0, help_text="Minimum charged duration, seconds.")
    pulse = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)], help_text="Seconds.")
    grace = models.PositiveIntegerField(default=0, help_text="Calls this short or shorter are free, seconds.")
    blocked = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["revision", "prefix"], name="raterow_revision_prefix"),
            # Digits only, 1–20 of them; ltrim() of the digits rather than a regular expression, whose
            # per-row cost was a fifth of a large deck's upload.
            models.CheckConstraint(
                condition=Q(Range(Length("prefix"), (1, 20))) & Q(Exact(Func(
                    F("prefix"), Value("0123456789"), function="ltrim", output_field=models.CharField()), "")),
                name="raterow_prefix_only_digits", violation_error_message="A prefix is 1 to 20 digits."),
            models.CheckConstraint(condition=Q(rate__gte=0) & Q(connect_fee__gte=0), name="raterow_money_non_negative"),
            models.CheckConstraint(condition=Q(pulse__gte=1), name="raterow_pulse_positive"),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="raterow_revision_exists", level=pgtrigger.Statement, when=pgtrigger.After,
                operation=pgtrigger.Insert, referencing=pgtrigger.Referencing(new="new_rows"),
                func="""IF EXISTS (SELECT 1 FROM (SELECT DISTINCT revision_id FROM new_rows) n
                                   WHERE NOT EXISTS (SELECT 1 FROM rates_raterevision v WHERE v.id = n.revision_id))
                        THEN RAISE EXCEPTION 'rate row of a missing revision' USING ERRCODE = 'foreign_key_violation';
                        END IF; RETURN NULL;"""),
            # A revision is immutable: a change is a new upload (and the revision reference stays valid).
            pgtrigger.Protect(name="raterow_immutable", operation=pgtrigger.Update),
        ]

    def __str__(self):
        return f"{self.prefix} {self.name} {self.rate}"


@pghistory.track(
    pghistory.InsertEvent("rate_deck_upload.created"),
    pghistory.UpdateEvent("rate_deck_upload.updated", condition=pghistory.AnyChange("state")),
)
class RateDeckUpload(TimeStampedModel):
    """A deck uploaded in the panel: checked first (preview), then applied as a revision on confirm."""

    class State(models.TextChoices):
        CHECKING = "checking", "Checking"
        CHECKED = "checked", "Ready to apply"
        INVALID = "invalid", "Has errors"
        APPLYING = "applying", "Applying"
        APPLIED = "applied", "Applied"
        FAILED = "failed", "Failed"

    card = models.ForeignKey(RateCard, on_delete=models.CASCADE, related_name="uploads")
    file = models.FileField(upload_to="rate_decks/")
    filename = models.CharField(max_length=200)
    live_from = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.CHECKING)
    bytes_total = models.BigIntegerField(default=0)
    bytes_done = models.BigIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="The first rejected rows: row, prefix, reason.")
    problem = models.TextField(blank=True, help_text="Why the file as a whole could not be read.")
    revision = models.ForeignKey(RateRevision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return f"{self.filename} for {self.card}"

    @property
    def percent(self):
        if self.state not in (self.State.CHECKING, self.State.APPLYING):
            return 100
        return int(self.bytes_done * 100 / self.bytes_total) if self.bytes_total else 0

    @property
    def running(self):
        return self.state in (self.State.CHECKING, self.State.APPLYING)
