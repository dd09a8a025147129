import re
import zoneinfo
from datetime import datetime, time
from decimal import Decimal
from functools import cache

import pghistory
import pgtrigger
import tomlkit
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from tomlkit.exceptions import (
    EmptyKeyError,
    InvalidControlChar,
    ParseError,
    UnexpectedCharError,
    UnexpectedEofError,
)

from connex.iso import country_choices, country_codes, currency_codes
from connex.models import TimeStampedModel
from connex.validators import plain_multiline_text, plain_text
from portaldomains.validators import validate_portal_domain

from .querysets import CustomerQuerySet

ZERO = Decimal("0")
MONEY = {"max_digits": 18, "decimal_places": 2}


class PortalSection(models.TextChoices):
    BALANCE = "balance", "Balance"
    CDRS = "cdrs", "CDRs"
    SUMMARIES = "summaries", "Summaries"
    INVOICES = "invoices", "Invoices"
    PAYMENTS = "payments", "Payments"
    RATES = "rates", "Rates / breakout"
    SIP_USERS = "sip_users", "SIP users"
    CONTACTS = "contacts", "Contacts"
    DIDS = "dids", "DIDs and packages"
    ALERTS = "alerts", "Alerts"


def default_portal_access():
    return [section.value for section in PortalSection]


@cache
def timezone_choices():
    return sorted((name, name) for name in zoneinfo.available_timezones())


@cache
def timezone_names():
    # available_timezones() walks the tzdata directory on every call; read it once.
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value):
    if value not in timezone_names():
        raise ValidationError(f"“{value}” is not an IANA timezone name (e.g. Europe/London).")


def validate_currency(value):
    if value not in currency_codes():
        raise ValidationError(f"“{value}” is not an ISO 4217 currency code.")


def validate_country(value):
    if value and value not in country_codes():
        raise ValidationError(f"“{value}” is not an ISO 3166 country code.")


_CHARACTER_NAMES = {"\r": "a carriage return (a lone \\r line break)", "\n": "the end of the line",
                    "\t": "a tab", " ": "a space", "\x00": "a NUL character (binary data)"}


def _character_name(char):
    if char in _CHARACTER_NAMES:
        return _CHARACTER_NAMES[char]
    if char and (ord(char[0]) < 0x20 or ord(char[0]) == 0x7F):
        return f"the control character U+{ord(char[0]):04X}"
    return f"“{char}”"


def toml_error_message(text: str, exc: ParseError) -> str:
    """A TOML parse error in words, with the line it is on.

    tomlkit reports the end of the text as the character NUL and words its messages for
    programmers; staff need to know what is wrong and where.
    """
    raw = str(exc.args[0] if exc.args else exc)
    detail = re.sub(r" at line \d+ col \d+$", "", raw)
    lines = text.splitlines() or [""]
    line_no, column = exc.line, exc.col
    at_end = False
    if isinstance(exc, UnexpectedEofError) or (isinstance(exc, UnexpectedCharError) and "'\\x00'" in detail):
        at_end = "\x00" not in text
    if "\x00" in text:
        line_no = text[:text.index("\x00")].count("\n") + 1
        sentence = "The text contains a NUL character (binary data); paste plain text only."
    elif at_end:
        line_no = max((i for i, line in enumerate(lines, 1) if line.strip()), default=1)
        sentence = "The text ends before a value is complete: a closing bracket, quote or a value is missing."
    elif isinstance(exc, InvalidControlChar):
        char = "\r" if "000d" in detail else None
        sentence = (f"{_character_name(char).capitalize()} is not allowed here; use ordinary line breaks."
                    if char else "A control character is not allowed here; remove it or write it as an escape like \\t.")
    elif isinstance(exc, EmptyKeyError):
        sentence = "A key is missing before “=”."
    elif isinstance(exc, UnexpectedCharError):
        char = re.search(r"Unexpected character: '(.*)'$", detail)
        found = char.group(1).encode().decode("unicode_escape") if char else ""
        if found == "\n":
            sentence = f"The line ends at column {column + 1} before it is complete (a closing bracket or value is missing)."
        else:
            sentence = f"{_character_name(found)[:1].upper()}{_character_name(found)[1:]} is not expected at column {column + 1}."
    elif (duplicate := re.match(r'Key "(.+)" already exists', detail)):
        sentence = f"The key “{duplicate.group(1)}” is set twice."
    else:
        sentence = detail.rstrip(".") + "."
    line_no = min(max(line_no, 1), len(lines))
    shown = lines[line_no - 1].replace("\x00", "").replace("\r", "").strip()
    return f"Line {line_no} ({shown or 'empty'}): {sentence}"


def validate_toml(value):
    """Vars must parse as TOML; the error says what is wrong and shows the line."""
    if not value:
        return
    try:
        tomlkit.parse(value)
    except ParseError as exc:
        raise ValidationError(f"Not valid TOML. {toml_error_message(value, exc)}", code="toml")


class ResellerGroup(TimeStampedModel):
    name = models.CharField(max_length=100, validators=[plain_text])

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="resellergroup_name_ci_unique")]

    def __str__(self):
        return self.name


def list_split(text) -> list[str]:
    """Items of a list typed in one box or cell: separated by commas or semicolons, trimmed."""
    return [part.strip() for part in str(text or "").replace(";", ",").split(",") if part.strip()]


def tag_names_parse(text) -> list[str]:
    """Tag names from "wholesale, VIP; Gold": trimmed, first spelling of each name kept (names
    are unique ignoring case), each at most a tag's length. The one parser of tag lists."""
    names = list_split(text)
    limit = Tag._meta.get_field("name").max_length
    too_long = [name for name in names if len(name) > limit]
    if too_long:
        raise ValidationError(f"Tags are at most {limit} characters: {', '.join(too_long)}", code="max_length")
    unique = {}
    for name in names:
        unique.setdefault(name.lower(), name)
    return list(unique.values())


class Tag(TimeStampedModel):
    name = models.CharField(max_length=50, validators=[plain_text])

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="tag_name_ci_unique")]

    def __str__(self):
        return self.name


@pghistory.track(
    pghistory.InsertEvent("customer.created"),
    pghistory.UpdateEvent("customer.updated"),
    pghistory.DeleteEvent("customer.deleted"),
    # Balance and channels in use are live figures moved by every CDR import and payment, which
    # are financial records of their own; auditing them would bury staff edits under debits.
    exclude=["updated", "balance", "channels_in_use"],
    # Statement-level triggers record a bulk write (import, bulk edit) with one set-based
    # INSERT per statement instead of one per row.
    level=pghistory.Statement,
)
class Customer(TimeStampedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"
        PENALTY = "penalty", "Penalty"
        PENDING_APPROVAL = "pending_approval", "Pending approval"

    class InvoiceSchedule(models.TextChoices):
        NONE = "none", "None"
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly (Monday–Sunday)"
        MONTHLY = "monthly", "Monthly"

    class RtpFirewall(models.TextChoices):
        LOCKED = "locked", "Locked"
        UNLOCKED = "unlocked", "Unlocked"

    class Attestation(models.TextChoices):
        A = "A", "A — full"
        B = "B", "B — partial"
        C = "C", "C — gateway"

    # Basic
    name = models.CharField(max_length=120, validators=[plain_text])
    channels = models.PositiveIntegerField(default=0, help_text="Maximum concurrent calls; 0 blocks calls.")
    flow_speed = models.PositiveIntegerField("flow speed (CPS)", default=0, help_text="Calls per second.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    debit_limit = models.DecimalField(**MONEY, default=ZERO, validators=[MinValueValidator(ZERO)],
                                      help_text="How far below zero the balance may go.")
    minimum_payment = models.DecimalField(**MONEY, default=ZERO, validators=[MinValueValidator(ZERO)],
                                          help_text="Smallest top-up the customer may make.")
    topup_currencies = ArrayField(models.CharField(max_length=3, validators=[validate_currency]),
                                  default=list, blank=True, verbose_name="restrict top-up currencies",
                                  help_text="Currencies accepted for top-ups besides the account currency.")
    tax_percent = models.DecimalField("tax %", max_digits=5, decimal_places=2, default=ZERO,
                                      validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))])
    # Codes are checked by validators rather than model choices: a 160-entry choices list would be
    # flattened for every table cell that shows the currency.
    currency = models.CharField(max_length=3, validators=[validate_currency],
                                help_text="Fixed once the customer exists.")

    # Config
    paypal_email = models.EmailField("PayPal email", blank=True)
    website = models.URLField(blank=True)
    p_asserted_id = models.CharField("P-Asserted-ID", max_length=120, blank=True, validators=[plain_text])
    portal_access = ArrayField(models.CharField(max_length=20, choices=PortalSection.choices),
                               default=default_portal_access, blank=True,
                               help_text="Portal sections shown to the customer's contacts.")
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers")
    vars = models.TextField("vars (TOML)", blank=True, validators=[validate_toml])
    reseller = models.ForeignKey(ResellerGroup, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="customers")
    account_manager = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="managed_customers",
                                        limit_choices_to={"is_staff": True})
    invoice_schedule = models.CharField(max_length=10, choices=InvoiceSchedule.choices,
                                        default=InvoiceSchedule.NONE)
    create_invoice_on_payment = models.BooleanField(default=False)
    invoice_due_days = models.PositiveSmallIntegerField(default=14, validators=[MaxValueValidator(365)])
    invoice_template = models.ForeignKey("invoicing.InvoiceTemplate", null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="customers")
    external_accounting_id = models.CharField("ext. accounting ID", max_length=64, blank=True, db_index=True,
                                              validators=[plain_text])
    rtp_firewall = models.CharField("RTP firewall", max_length=10, choices=RtpFirewall.choices,
                                    default=RtpFirewall.LOCKED)
    recording_retention_days = models.PositiveSmallIntegerField("call recording retention days", default=0,
                                                                validators=[MaxValueValidator(3650)])
    domain = models.CharField("portal domain", max_length=253, blank=True, validators=[validate_portal_domain],
                              help_text="The branded portal address its contacts sign in at (Settings → Portal "
                                        "domains); blank for the main portal.")
    daily_spend_limit = models.DecimalField(**MONEY, null=True, blank=True,
                                            validators=[MinValueValidator(ZERO)],
                                            help_text="Blank for no limit. The day runs 00:00–24:00 UTC.")
    stir_shaken_attestation = models.CharField("default STIR/SHAKEN attestation", max_length=1,
                                               choices=Attestation.choices, default=Attestation.B)

    # Address
    address_line1 = models.CharField("address line 1", max_length=200, blank=True, validators=[plain_text])
    address_line2 = models.CharField("address line 2", max_length=200, blank=True, validators=[plain_text])
    city = models.CharField(max_length=100, blank=True, validators=[plain_text])
    region = models.CharField("state / region", max_length=100, blank=True, validators=[plain_text])
    postcode = models.CharField(max_length=20, blank=True, validators=[plain_text])
    country = models.CharField(max_length=2, blank=True, validators=[validate_country],
                               help_text="ISO 3166 alpha-2 code.")

    # Verification
    approved_clis_only = models.BooleanField("approved CLIs only", default=False)
    email_verification_required = models.BooleanField(default=False)
    mobile_verification_required = models.BooleanField(default=False)

    # Notes (staff only)
    notes = models.TextField(blank=True, validators=[plain_multiline_text])

    # Day/Time restrict
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])

    # Live figures
    balance = models.DecimalField(max_digits=20, decimal_places=6, default=ZERO)
    channels_in_use = models.PositiveIntegerField(default=0)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        permissions = [
            ("view_all_customers", "Can see every customer, not only those they manage"),
            ("portal_login", "Can sign in to the portal as a contact (Portal Login)"),
            ("import_customers", "Can import customers from a file"),
            ("bulk_edit_customers", "Can edit or delete many customers at once"),
        ]
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="customer_name_ci_unique",
                                    violation_error_message="A customer with this name already exists."),
            models.CheckConstraint(condition=Q(tax_percent__gte=0) & Q(tax_percent__lte=100),
                                   name="customer_tax_percent_range"),
            models.CheckConstraint(condition=Q(debit_limit__gte=0), name="customer_debit_limit_non_negative"),
            models.CheckConstraint(condition=Q(minimum_payment__gte=0),
                                   name="customer_minimum_payment_non_negative"),
            models.CheckConstraint(condition=Q(daily_spend_limit__isnull=True) | Q(daily_spend_limit__gte=0),
                                   name="customer_daily_spend_limit_non_negative"),
        ]
        indexes = [
            models.Index(fields=["status", "balance"], name="customer_status_balance"),
            models.Index(fields=["balance"], name="customer_balance"),
        ]
        # save() refuses a currency change; this refuses it for update(), imports and raw SQL too.
        triggers = [pgtrigger.Trigger(
            name="customer_currency_fixed", when=pgtrigger.Before, operation=pgtrigger.Update,
            condition=pgtrigger.Condition('OLD."currency" IS DISTINCT FROM NEW."currency"'),
            func="RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = "
                 "'The account currency cannot change after the customer is created (customer ' "
                 "|| OLD.id || ': ' || OLD.currency || ' to ' || NEW.currency || ').'; RETURN NULL;",
        )]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("customers:customer_detail", args=[self.pk])

    def verification_pending(self) -> list[str]:
        """The verifications ("email", "mobile") this account still owes before it may call.

        Calls belong to the account, so a required verification is done once any of its
        contacts has verified that channel.
        """
        pending = []
        if self.email_verification_required and not self.contacts.filter(email_verified=True).exists():
            pending.append("email")
        if self.mobile_verification_required and not self.contacts.filter(mobile_verified=True).exists():
            pending.append("mobile")
        return pending

    def clean(self):
        super().clean()
        stored = None
        if self.pk:
            stored = type(self).objects.filter(pk=self.pk).values_list("currency", flat=True).first()
        name_taken = bool(self.name) and type(self).objects.exclude(pk=self.pk).filter(
            name__iexact=self.name.strip()).exists()
        self.check_rules(stored_currency=stored, name_taken=name_taken)

    def check_rules(self, *, stored_currency, name_taken):
        """The cross-field rules of clean(), given the two facts it reads from the database.

        Bulk paths (import, bulk edit) look those facts up for many rows in one query and
        call this, so a row is judged by exactly the rules a single edit is.
        """
        errors = {}
        if stored_currency is not None and stored_currency != self.currency:
            errors["currency"] = "The account currency cannot change after the customer is created."
        if self.currency and self.currency in (self.topup_currencies or []):
            errors["topup_currencies"] = "List only currencies other than the account currency."
        if name_taken:
            errors["name"] = "A customer with this name already exists."
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        # The model layer refuses a currency change however it is attempted (form, shell, API).
        if self.pk and not kwargs.get("force_insert"):
            stored = type(self).objects.filter(pk=self.pk).values_list("currency", flat=True).first()
            if stored is not None and stored != self.currency:
                raise ValidationError({"currency": "The account currency cannot change after creation."})
        self.name = self.name.strip()
        super().save(*args, **kwargs)

    @property
    def available_credit(self):
        return self.balance + self.debit_limit

    @property
    def address_lines(self):
        country = dict(country_choices()).get(self.country, "")
        lines = [self.address_line1, self.address_line2,
                 " ".join(part for part in [self.postcode, self.city] if part), self.region, country]
        return [line for line in lines if line]

    def shows_in_portal(self, section):
        return section in (self.portal_access or [])

    def is_within_allowed_time(self, at: datetime) -> bool:
        """True when `at` falls in one of the allowed windows, read in the customer's timezone.

        No windows means no restriction. A window whose end is not after its start crosses
        midnight (22:00–06:00). Wall-clock times are compared after conversion, so DST shifts
        move the windows with local time, as a person in that zone would expect.
        """
        windows = list(self.allowed_windows.all())
        if not windows:
            return True
        local = at.astimezone(zoneinfo.ZoneInfo(self.timezone))
        return any(window.admits(local) for window in windows)


WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MINUTES_PER_WEEK = 7 * 24 * 60


def window_admits(weekday, start: time, end: time, local: datetime) -> bool:
    """Whether a window admits the local (customer-zone) moment: the one rule for call admission.

    `weekday` is 0 (Monday) to 6, or None for every day. An end at or before the start runs past
    midnight into the next day (Mon 22:00–06:00 admits Tuesday 03:00); 00:00–00:00 is the whole day.
    """
    moment = local.time().replace(tzinfo=None)
    if end <= start:
        if moment >= start:
            return weekday is None or weekday == local.weekday()
        return moment < end and (weekday is None or weekday == (local.weekday() - 1) % 7)
    return start <= moment < end and (weekday is None or weekday == local.weekday())


def window_minutes(weekday, start: time, end: time) -> list[tuple[int, int]]:
    """The minutes of the week (Monday 00:00 = 0) a window covers, as [start, end) intervals."""
    days = range(7) if weekday is None else [weekday]
    first, last = start.hour * 60 + start.minute, end.hour * 60 + end.minute
    length = (last - first) if last > first else (1440 - first + last)
    intervals = []
    for day in days:
        begin = day * 1440 + first
        stop = begin + length
        if stop <= MINUTES_PER_WEEK:
            intervals.append((begin, stop))
        else:  # Sunday night into Monday morning
            intervals += [(begin, MINUTES_PER_WEEK), (0, stop - MINUTES_PER_WEEK)]
    return intervals


def week_coverage(windows) -> list[tuple[int, int]]:
    """The merged minutes of the week a set of (weekday, start, end) windows covers."""
    merged = []
    for begin, stop in sorted(i for window in windows for i in window_minutes(*window)):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((begin, stop))
    return merged


def _clock(minute: int) -> time:
    minute %= 1440
    return time(minute // 60, minute % 60)


def week_windows(coverage) -> list[tuple]:
    """The fewest (weekday or None, start, end) windows drawing a week's coverage.

    A stretch shorter than a day is one window (crossing midnight if it must), a stretch from
    Sunday night into Monday included; longer ones are cut at midnight. A window found on all
    seven days is stored once, for every day.
    """
    coverage = list(coverage)
    if len(coverage) > 1 and coverage[0][0] == 0 and coverage[-1][1] == MINUTES_PER_WEEK:
        coverage = [(coverage[-1][0], coverage[0][1] + MINUTES_PER_WEEK)] + coverage[1:-1]
    windows = []
    for begin, stop in coverage:
        while begin < stop:
            if stop - begin < 1440:
                windows.append((begin // 1440 % 7, _clock(begin), _clock(stop)))
                break
            midnight = (begin // 1440 + 1) * 1440
            windows.append((begin // 1440 % 7, _clock(begin), time(0)))
            begin = midnight
    daily = {(start, end) for _, start, end in windows
             if all((day, start, end) in windows for day in range(7))}
    return sorted([(None, start, end) for start, end in daily]
                  + [w for w in windows if (w[1], w[2]) not in daily],
                  key=lambda w: (-1 if w[0] is None else w[0], w[1]))


class AllowedWindow(models.Model):
    """An interval in the customer's timezone during which calls are admitted, on one weekday or every day."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="allowed_windows")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, null=True, blank=True,
                                               help_text="Empty: every day.")
    start = models.TimeField()
    end = models.TimeField(help_text="An end at or before the start crosses midnight; 00:00–00:00 is all day.")

    class Meta:
        ordering = ["weekday", "start"]
        constraints = [models.CheckConstraint(condition=models.Q(weekday__lte=6), name="allowed_window_weekday")]

    def __str__(self):
        day = f"{WEEKDAYS[self.weekday]} " if self.weekday is not None else ""
        return f"{day}{self.start:%H:%M}–{self.end:%H:%M}"

    @property
    def crosses_midnight(self):
        return self.end <= self.start

    def admits(self, local: datetime) -> bool:
        return window_admits(self.weekday, self.start, self.end, local)


@pghistory.track(
    pghistory.InsertEvent("approved_cli.created"),
    pghistory.UpdateEvent("approved_cli.updated"),
    pghistory.DeleteEvent("approved_cli.deleted"),
)
class ApprovedCLI(TimeStampedModel):
    """A caller ID the customer proved it owns; only these may call when approved_clis_only is on."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="approved_clis")
    number = models.CharField(max_length=20, help_text="E.164, e.g. +442071838750")
    approved_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["customer", "number"], name="approvedcli_unique")]

    def __str__(self):
        return self.number

    @property
    def is_active(self):
        return self.approved_at is not None and self.revoked_at is None


@pghistory.track(
    pghistory.InsertEvent("customer_import.created"),
    pghistory.UpdateEvent("customer_import.updated"),
    pghistory.DeleteEvent("customer_import.deleted"),
    # Progress and the preview change many times per run; the state changes are what matter.
    exclude=["updated", "processed_rows", "preview"],
)
class CustomerImport(TimeStampedModel):
    """One uploaded customer file: its preview, then its import, with progress for long runs."""

    class State(models.TextChoices):
        VALIDATING = "validating", "Validating"
        PREVIEW = "preview", "Ready to confirm"
        INVALID = "invalid", "Has errors"
        IMPORTING = "importing", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                             related_name="customer_imports")
    file = models.FileField(upload_to="imports/customers/%Y/%m/")
    original_name = models.CharField(max_length=255)
    update_existing = models.BooleanField(default=False)
    state = models.CharField(max_length=12, choices=State.choices, default=State.VALIDATING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    new_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    invalid_count = models.PositiveIntegerField(default=0)
    # {"headers": [...], "rows": [{"line": n, "values": [...], "action": "new"|"update"|"invalid",
    #   "errors": {column: [messages]}}], "hidden_rows": n, "file_errors": [...]}
    preview = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return f"Import of {self.original_name}"

    @property
    def progress_percent(self):
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0

    @property
    def is_running(self):
        return self.state in (self.State.VALIDATING, self.State.IMPORTING)


@pghistory.track(
    pghistory.InsertEvent("delayed_change.created"),
    pghistory.UpdateEvent("delayed_change.updated"),
    pghistory.DeleteEvent("delayed_change.deleted"),
    exclude=["updated"],
)
class DelayedChange(TimeStampedModel):
    """An edit of a customer saved now and applied at `due_at` by the periodic task."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        APPLIED = "applied", "Applied"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="delayed_changes")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                     related_name="+")
    due_at = models.DateTimeField(db_index=True)
    # {field: [old, new]} in the form's terms (tags as a list of names, FKs as ids).
    changes = models.JSONField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    reason = models.TextField(blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["state", "due_at"], name="delayedchange_state_due")]

    def __str__(self):
        return f"Change of {self.customer} due {self.due_at:%Y-%m-%d %H:%M} UTC"

    def diff_rows(self):
        """[(label, old, new)] as people read them: names for related objects, labels for choices."""
        rows = []
        for name, (old, new) in self.changes.items():
            if name == "tags":
                rows.append(("Tags", ", ".join(old) or "—", ", ".join(new) or "—"))
                continue
            model_field = Customer._meta.get_field(name)
            rows.append((model_field.verbose_name[:1].upper() + model_field.verbose_name[1:],
                         _display(model_field, old), _display(model_field, new)))
        return rows


def _display(model_field, value):
    if value in (None, "", []):
        return "—"
    if model_field.is_relation:
        found = model_field.related_model._default_manager.filter(pk=value).first()
        if found is None:
            return f"#{value} (deleted)"
        return (found.get_full_name() or found.get_username()) if hasattr(found, "get_username") else str(found)
    if isinstance(value, list):
        choices = dict(getattr(model_field.base_field, "flatchoices", []) or [])
        return ", ".join(str(choices.get(v, v)) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    return str(value)


@pghistory.track(
    pghistory.InsertEvent("customer_defaults.created"),
    pghistory.UpdateEvent("customer_defaults.updated"),
    exclude=["updated"],
)
class CustomerDefaults(TimeStampedModel):
    """What a new customer starts with (Settings → New customers), one row.

    Channels and CPS of 0 refuse every call, so a new account starts with working limits.
    """

    currency = models.CharField(max_length=3, blank=True, validators=[validate_currency],
                                help_text="Preselected for new customers. Blank: staff must choose one.")
    channels = models.PositiveIntegerField(default=10, help_text="Concurrent calls a new customer may make.")
    flow_speed = models.PositiveIntegerField("flow speed (CPS)", default=5,
                                             help_text="Calls per second a new customer may start.")

    class Meta:
        verbose_name = "new customer defaults"
        verbose_name_plural = "new customer defaults"
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="customerdefaults_single_row")]

    def __str__(self):
        return "New customer defaults"

    @classmethod
    def get(cls):
        defaults, _ = cls.objects.get_or_create(pk=1)
        return defaults
