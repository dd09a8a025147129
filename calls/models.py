from django.conf import settings
from django.db import models


class CallAttempt(models.Model):
    """A call the engine decided on (a switch's or a staff simulation): its inputs, answer and trace.

    Written once and never changed; the trace is the engine's step list, shown as a timeline.
    """

    customer = models.ForeignKey("customers.Customer", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="call_attempts")
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
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    class Meta:
        ordering = ["-at", "-pk"]
        permissions = [("simulate_call", "Can simulate a call (routing decision and trace)")]
        indexes = [models.Index(fields=["customer", "-at"], name="callattempt_customer_at")]

    def __str__(self):
        return f"{self.dialed} at {self.at:%Y-%m-%d %H:%M:%S}"

    @property
    def reason(self):
        return self.reasons[0] if self.reasons else ""
