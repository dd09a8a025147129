from django.db import models

from connex.models import TimeStampedModel


class Message(TimeStampedModel):
    """One outbound email or SMS to one recipient: the outbox every message passes through."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        NOT_SENT = "not_sent", "Not sent"

    channel = models.CharField(max_length=5, choices=Channel.choices)
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField(blank=True)
    kind = models.CharField(max_length=40, default="general",
                            help_text="What produced it: broadcast, password, verification, invoice…")
    attachment = models.FileField(upload_to="outbox/%Y/%m/", blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    provider_message_id = models.CharField(max_length=128, blank=True)
    error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    customer = models.ForeignKey("customers.Customer", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="messages")
    contact = models.ForeignKey("contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="messages")

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["customer", "-created"], name="message_customer_created")]

    def __str__(self):
        return f"{self.get_channel_display()} to {self.to}"
