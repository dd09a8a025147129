from decimal import Decimal

from django.contrib.postgres.indexes import BrinIndex
from django.db import models

CHARGE = {"max_digits": 18, "decimal_places": 6}


class CallDetailRecord(models.Model):
    """One call as the switch reported it. Append-only; summaries are derived from these."""

    call_id = models.CharField(max_length=128, unique=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="cdrs")
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

    class Meta:
        indexes = [
            BrinIndex(fields=["start_time"], name="cdr_start_time_brin"),
            models.Index(fields=["customer", "start_time"], name="cdr_customer_start"),
        ]

    def __str__(self):
        return self.call_id


class HourlySummary(models.Model):
    """Totals of one customer's calls to one destination within one UTC hour."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="hourly_summaries")
    hour = models.DateTimeField(help_text="Start of the UTC hour.")
    destination = models.CharField(max_length=120, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    duration = models.BigIntegerField(default=0, help_text="Seconds talked.")
    billed_duration = models.BigIntegerField(default=0, help_text="Seconds billed.")
    pdd_ms_total = models.BigIntegerField(default=0)
    charge = models.DecimalField(**CHARGE, default=Decimal("0"))
    cost = models.DecimalField(**CHARGE, default=Decimal("0"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "hour", "destination"], name="hourlysummary_unique"),
        ]
        indexes = [models.Index(fields=["customer", "hour"], name="hourlysummary_customer_hour")]

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
