from decimal import Decimal

import pghistory
import pgtrigger
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from connex.models import SingleRowModel, TimeStampedModel
from connex.validators import plain_text

VALUE = {"max_digits": 20, "decimal_places": 6}

DEFAULT_SUBJECT = "{{ alert.event }}: {{ alert.title }} — {{ alert.area }} is {{ alert.value }}"
DEFAULT_BODY = ("Hello,\n\n{{ alert.title }} for {{ customer.name }}: {{ alert.area }} is {{ alert.value }} "
                "({{ alert.condition }}).\nBalance: {{ customer.balance }} {{ customer.currency }}.\n\n"
                "{{ company.name }}")


class Area(models.TextChoices):
    BALANCE = "balance", "Balance"
    DAILY_SPEND = "daily_spend", "Daily spend"
    ASR = "asr", "ASR %"
    ACD = "acd", "ACD (seconds)"
    PDD = "pdd", "PDD (seconds)"
    CHANNELS = "channels", "Channels in use"


# Areas read from the hourly summaries over the alert's sample period.
SAMPLED_AREAS = (Area.ASR, Area.ACD, Area.PDD)


class Operator(models.TextChoices):
    BELOW = "lt", "below (<)"
    ABOVE = "gt", "above (>)"


@pghistory.track(
    pghistory.InsertEvent("alert.created"),
    pghistory.UpdateEvent("alert.updated"),
    pghistory.DeleteEvent("alert.deleted"),
    # The evaluation moves the state every time an alert fires or resets; those moves are
    # recorded as AlertEvents, so the audit log keeps staff edits only.
    exclude=["updated", "state", "fired_at", "last_sent_at", "last_value", "penalty_applied"],
    level=pghistory.Statement,
    model_name="AlertChange",  # AlertEvent is the alert's own history of firings
)
class Alert(TimeStampedModel):
    """A watch on one figure of a customer: fires once when it crosses the threshold, re-arms
    after it crosses back over the reset level, and resends every repeat interval meanwhile."""

    class State(models.TextChoices):
        ARMED = "armed", "Armed"
        FIRED = "fired", "Fired"

    class Source(models.TextChoices):
        CUSTOM = "custom", "Custom"
        DEFAULT = "default", "Default low balance"

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="alerts")
    title = models.CharField(max_length=100, validators=[plain_text])
    enabled = models.BooleanField(default=True)
    recipients = ArrayField(models.CharField(max_length=254), default=list, blank=True,
                            help_text="Emails and mobiles (E.164); empty sends to the customer's billing contacts "
                                      "(all contacts when none is billing).")
    area = models.CharField(max_length=20, choices=Area.choices, default=Area.BALANCE)
    operator = models.CharField(max_length=2, choices=Operator.choices, default=Operator.BELOW)
    threshold = models.DecimalField(**VALUE)
    reset_threshold = models.DecimalField(**VALUE, null=True, blank=True,
                                          help_text="Re-arms once the value is back over this level; blank: "
                                                    "the threshold itself.")
    sample_hours = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(168)],
        help_text="ASR, ACD and PDD: hours of hourly summaries read (the current hour included).")
    min_attempts = models.PositiveIntegerField(
        default=20, help_text="ASR, ACD and PDD: fewer call attempts in the sample are not judged.")
    repeat_minutes = models.PositiveIntegerField(
        "repeat every (minutes)", default=0, validators=[MaxValueValidator(10080)],
        help_text="Send again while still crossed; 0 sends once.")
    penalty = models.BooleanField(default=False, help_text="Put the customer in Penalty status when it fires.")
    penalty_lift_on_reset = models.BooleanField(
        "lift penalty on reset", default=False,
        help_text="Back to Active when the alert resets; otherwise staff clear the penalty.")
    subject = models.CharField(max_length=200, blank=True, default=DEFAULT_SUBJECT)
    message = models.TextField(default=DEFAULT_BODY)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.CUSTOM, editable=False)
    follows_default = models.BooleanField(
        default=False, help_text="Threshold and message follow Settings → Alerts (the default low-balance alert).")

    # State, moved by the evaluation only.
    state = models.CharField(max_length=10, choices=State.choices, default=State.ARMED, editable=False)
    fired_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_value = models.DecimalField(**VALUE, null=True, blank=True, editable=False)
    penalty_applied = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint("customer", Lower("title"), name="alert_title_unique_per_customer",
                                    violation_error_message="This customer already has an alert with this title."),
            models.UniqueConstraint(fields=["customer"], condition=Q(source="default"),
                                    name="alert_one_default_per_customer"),
            models.CheckConstraint(condition=Q(operator__in=["lt", "gt"]), name="alert_operator_valid"),
            models.CheckConstraint(condition=Q(reset_threshold__isnull=True)
                                   | Q(operator="lt", reset_threshold__gte=models.F("threshold"))
                                   | Q(operator="gt", reset_threshold__lte=models.F("threshold")),
                                   name="alert_reset_beyond_threshold"),
        ]
        indexes = [models.Index(fields=["enabled", "area"], name="alert_enabled_area")]

    def __str__(self):
        return self.title

    @property
    def reset_level(self):
        return self.threshold if self.reset_threshold is None else self.reset_threshold

    @property
    def condition(self):
        sign = "<" if self.operator == Operator.BELOW else ">"
        back = "≥" if self.operator == Operator.BELOW else "≤"
        return (f"{self.get_area_display()} {sign} {_plain(self.threshold)}, "
                f"re-arms at {back} {_plain(self.reset_level)}")

    @property
    def is_sampled(self):
        return self.area in SAMPLED_AREAS

    def clean(self):
        super().clean()
        errors = {}
        if self.reset_threshold is not None and self.threshold is not None:
            if self.operator == Operator.BELOW and self.reset_threshold < self.threshold:
                errors["reset_threshold"] = ("For an alert below a threshold the reset level must be at or above "
                                             f"it ({_plain(self.threshold)}).")
            if self.operator == Operator.ABOVE and self.reset_threshold > self.threshold:
                errors["reset_threshold"] = ("For an alert above a threshold the reset level must be at or below "
                                             f"it ({_plain(self.threshold)}).")
        if self.title and self.customer_id and type(self).objects.filter(
                customer_id=self.customer_id, title__iexact=self.title.strip()).exclude(pk=self.pk).exists():
            errors["title"] = "This customer already has an alert with this title."
        if errors:
            raise ValidationError(errors)


def _plain(value):
    if value is None:
        return ""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@pghistory.track(
    pghistory.InsertEvent("alert_event.created"),
    pghistory.DeleteEvent("alert_event.deleted"),
    level=pghistory.Statement,
    model_name="AlertEventChange",
)
class AlertEvent(models.Model):
    """What happened to an alert: it fired, repeated, reset, or staff sent a test. Never edited."""

    class Kind(models.TextChoices):
        FIRED = "fired", "Fired"
        REPEATED = "repeated", "Repeated"
        RESET = "reset", "Reset"
        TEST = "test", "Test"

    alert = models.ForeignKey(Alert, null=True, on_delete=models.SET_NULL, related_name="history")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="alert_events")
    title = models.CharField(max_length=100, help_text="The alert's title at the time.")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    value = models.DecimalField(**VALUE, null=True, blank=True)
    threshold = models.DecimalField(**VALUE)
    area = models.CharField(max_length=20, choices=Area.choices)
    operator = models.CharField(max_length=2, choices=Operator.choices)
    messages = models.PositiveIntegerField(default=0, help_text="Outbox messages queued.")
    penalty = models.CharField(max_length=10, blank=True, choices=[("applied", "Applied"), ("lifted", "Lifted")])

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["customer", "-at"], name="alertevent_customer_at")]
        # Only the link to a deleted alert may be cleared (on_delete SET_NULL); the record stays.
        triggers = [pgtrigger.Protect(
            name="alertevent_append_only", operation=pgtrigger.Update,
            condition=pgtrigger.Condition(
                '((OLD.customer_id, OLD.title, OLD.kind, OLD.at, OLD.value, OLD.threshold, OLD.area, OLD.operator, '
                'OLD.messages, OLD.penalty) IS DISTINCT FROM (NEW.customer_id, NEW.title, NEW.kind, NEW.at, '
                'NEW.value, NEW.threshold, NEW.area, NEW.operator, NEW.messages, NEW.penalty) '
                'OR NEW.alert_id IS NOT NULL AND NEW.alert_id IS DISTINCT FROM OLD.alert_id)'))]

    def __str__(self):
        return f"{self.title} {self.get_kind_display().lower()}"


@pghistory.track(
    pghistory.InsertEvent("alert_options.created"),
    pghistory.UpdateEvent("alert_options.updated"),
    exclude=["updated"],
)
class AlertOptions(SingleRowModel):
    """Settings → Alerts: the default low-balance alert every customer gets."""

    low_balance_enabled = models.BooleanField("default low-balance alert", default=False)
    low_balance_title = models.CharField("title", max_length=100, default="Low balance")
    low_balance_threshold = models.DecimalField("threshold", **VALUE, default=Decimal("10"),
                                                help_text="Fires when the balance falls below this, in the "
                                                          "customer's currency.")
    low_balance_reset = models.DecimalField("reset threshold", **VALUE, null=True, blank=True,
                                            help_text="Re-arms once the balance is back at or above this; blank: "
                                                      "the threshold.")
    low_balance_repeat_minutes = models.PositiveIntegerField("repeat every (minutes)", default=0,
                                                             validators=[MaxValueValidator(10080)])
    low_balance_subject = models.CharField("subject", max_length=200, default=DEFAULT_SUBJECT, blank=True)
    low_balance_message = models.TextField("message", default=DEFAULT_BODY)

    class Meta(SingleRowModel.Meta):
        verbose_name = "alert options"
        verbose_name_plural = "alert options"

    def __str__(self):
        return "Alert options"

    def clean(self):
        super().clean()
        if self.low_balance_reset is not None and self.low_balance_threshold is not None \
                and self.low_balance_reset < self.low_balance_threshold:
            raise ValidationError({"low_balance_reset": "The reset level must be at or above the threshold."})
