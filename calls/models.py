import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from connex.models import SingleRowModel, TimeStampedModel
from connex.validators import plain_text


class CallAttempt(models.Model):
    """A call the engine decided on (a switch's or a staff simulation): its inputs, answer and trace.

    Written once and never changed; the trace is the engine's step list, shown as a timeline.
    A switch's attempts arrive through the call-event stream (calls.events), so the switch API
    never waits for this table; one row per call id (a repeated authorize answers the stored one).
    """

    class Flag(models.TextChoices):
        NONE = "", "—"
        END_WITHOUT_AUTHORIZE = "end_without_authorize", "End for a call never authorized"
        CDR_REJECTED = "cdr_rejected", "End received, CDR refused by the import"

    # No index of its own: callattempt_customer_at (customer, -at) serves every lookup by customer,
    # and one index less is one write less per drained attempt.
    customer = models.ForeignKey("customers.Customer", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="call_attempts", db_index=False)
    at = models.DateTimeField(db_index=True)
    call_id = models.CharField(max_length=200, blank=True)
    dialed = models.CharField(max_length=64)
    cli = models.CharField("CLI", max_length=64, blank=True)
    pai = models.CharField("P-Asserted-ID", max_length=64, blank=True)
    source_ip = models.CharField(max_length=64, blank=True)
    sip_user = models.CharField("SIP user", max_length=64, blank=True)
    switch_ip = models.CharField(max_length=64, blank=True)
    allowed = models.BooleanField()
    sip_code = models.PositiveSmallIntegerField(default=200)
    reasons = models.JSONField(default=list, blank=True)
    result = models.JSONField(default=dict, blank=True, help_text="The decision as the switch receives it.")
    trace = models.JSONField(default=list, blank=True)
    simulated = models.BooleanField(default=False)
    flag = models.CharField(max_length=32, choices=Flag.choices, blank=True, default="")
    # Only staff simulations name a user: the index holds those alone, so a switch's attempt adds nothing to it.
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", db_index=False)

    class Meta:
        ordering = ["-at", "-pk"]
        permissions = [("simulate_call", "Can simulate a call (routing decision and trace)")]
        indexes = [models.Index(fields=["customer", "-at"], name="callattempt_customer_at"),
                   models.Index(fields=["requested_by"], condition=models.Q(requested_by__isnull=False),
                                name="callattempt_requested_by")]
        constraints = [
            # At-least-once delivery from the event stream: a redelivered attempt is skipped.
            models.UniqueConstraint(fields=["call_id", "flag"], condition=models.Q(simulated=False) & ~models.Q(call_id=""),
                                    name="callattempt_switch_call_unique"),
        ]

    def __str__(self):
        return f"{self.dialed} at {self.at:%Y-%m-%d %H:%M:%S}"

    @property
    def reason(self):
        return self.reasons[0] if self.reasons else ""


class LiveCall(models.Model):
    """A call the panel allowed and has not yet seen end: what rebuilds the live state in Redis
    after a restart, and what a late end finds once Redis has let the call expire.

    Rows arrive and leave through the call-event stream; Redis is the live truth for counting.
    The table holds the calls in progress, read whole only after a Redis restart and by the hourly
    purge: its one index is the call id's, so each call written costs one index entry.
    """

    call_id = models.CharField(max_length=200, primary_key=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="live_calls",
                                 db_index=False)
    started = models.DateTimeField()
    answered = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    scopes = ArrayField(models.CharField(max_length=64), default=list)
    reserved = models.DecimalField(max_digits=18, decimal_places=6, default=0,
                                   help_text="Credit held for the call (its minimum charge).")
    info = models.JSONField(default=dict, help_text="What the end needs to write the CDR, and what Dialogs shows.")

    class Meta:
        ordering = ["started"]
        permissions = [
            ("switch_call", "Can authorize and report calls (the switch's call-control API)"),
            ("end_call", "Can end a live call through its switch"),
        ]

    def __str__(self):
        return self.call_id


@pghistory.track(
    pghistory.InsertEvent("switch.created"),
    pghistory.UpdateEvent("switch.updated"),
    pghistory.DeleteEvent("switch.deleted"),
    exclude=["updated"],
)
class Switch(TimeStampedModel):
    """A Kamailio the panel controls: calls it reports carry its address (switch_ip), and staff end
    them through its JSON-RPC endpoint (dlg.end_dlg)."""

    name = models.CharField(max_length=100, unique=True, validators=[plain_text])
    address = models.GenericIPAddressField(unique=True, help_text="The switch_ip it reports on every call.")
    rpc_url = models.URLField("JSON-RPC URL", max_length=300,
                              help_text="Kamailio's jsonrpcs over HTTP, e.g. http://10.0.0.5:5071/RPC")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "switches"

    def __str__(self):
        return self.name


@pghistory.track(
    pghistory.InsertEvent("calls_options.created"),
    pghistory.UpdateEvent("calls_options.updated"),
    exclude=["updated"],
)
class CallOptions(SingleRowModel):
    """Settings → Calls: how long attempts are kept, and the live-limit knobs of the switch API."""

    attempt_retention_days = models.PositiveIntegerField(
        "keep call attempts (days)", default=7, validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="Latest Calls lists attempts this recent; older ones are deleted each hour.")
    cps_burst_percent = models.PositiveIntegerField(
        "CPS spike buffer (%)", default=50, validators=[MaxValueValidator(1000)],
        help_text="A burst above the flow speed that passes at once: CPS 10 at 50% lets 15 through, then 10/s.")
    unanswered_expiry = models.PositiveIntegerField(
        "unanswered call expiry (s)", default=300, validators=[MinValueValidator(10), MaxValueValidator(86400)],
        help_text="A call neither answered nor ended frees its channel after this long.")
    end_margin = models.PositiveIntegerField(
        "end margin (s)", default=60, validators=[MaxValueValidator(3600)],
        help_text="An answered call frees its channel this long after its max duration if no end arrives.")

    class Meta(SingleRowModel.Meta):
        verbose_name = "call options"
        verbose_name_plural = "call options"

    def __str__(self):
        return "Call options"
