import pghistory
from django.conf import settings
from django.db import models
from django.urls import reverse

from connex.models import SingleRowModel, TimeStampedModel

from .querysets import BroadcastQuerySet, MessageQuerySet


@pghistory.track(
    pghistory.InsertEvent("broadcast.created"),
    pghistory.UpdateEvent("broadcast.updated"),
    pghistory.DeleteEvent("broadcast.deleted"),
    exclude=["updated"],
)
class Broadcast(TimeStampedModel):
    """One email or SMS sent by staff to the contacts of many customers; a Message per recipient."""

    channel = models.CharField(max_length=5, choices=[("email", "Email"), ("sms", "SMS")])
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="broadcasts")
    customer_count = models.PositiveIntegerField(default=0)
    recipient_count = models.PositiveIntegerField(default=0)

    objects = BroadcastQuerySet.as_manager()

    class Meta:
        permissions = [
            ("send_broadcast", "Can send email and SMS broadcasts"),
        ]
        ordering = ["-created"]

    def __str__(self):
        return f"{self.get_channel_display()} broadcast #{self.pk}"

    def get_absolute_url(self):
        return reverse("messaging:broadcast_detail", args=[self.pk])


# The outbox row is itself the record of what was queued; history keeps who changed its state
# (resends, deliveries) without copying every body into the event table.
@pghistory.track(
    pghistory.UpdateEvent("message.state_changed", condition=pghistory.AnyChange("state")),
    pghistory.DeleteEvent("message.deleted"),
    fields=["state", "attempts", "error", "provider_message_id", "to", "channel", "kind"],
    model_name="MessageEvent",
)
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
    broadcast = models.ForeignKey(Broadcast, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="messages")

    objects = MessageQuerySet.as_manager()

    class Meta:
        permissions = [
            ("edit_messaging_settings", "Can change the email and SMS provider settings"),
        ]
        ordering = ["-created"]
        indexes = [
            models.Index(fields=["customer", "-created"], name="message_customer_created"),
            models.Index(fields=["broadcast", "state"], name="message_broadcast_state"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} to {self.to}"

    def get_absolute_url(self):
        return reverse("messaging:message_detail", args=[self.pk])

    @property
    def can_resend(self):
        return self.state in (self.State.FAILED, self.State.NOT_SENT) and not self.body_redacted

    # Messages that carry a credential: staff never read their body, and once the message reaches
    # a final state the body is wiped from the outbox (a new password or link is issued instead).
    SECRET_KINDS = frozenset({"password", "password_reset"})
    REDACTED_BODY = "[removed from the outbox: this message carried a password or sign-in link]"

    @property
    def holds_secret(self):
        return self.kind in self.SECRET_KINDS

    @property
    def body_redacted(self):
        return self.body == self.REDACTED_BODY


@pghistory.track(
    pghistory.InsertEvent("messaging_options.created"),
    pghistory.UpdateEvent("messaging_options.updated"),
    exclude=["updated", "smtp_password", "sms_auth_token"],
)
class MessagingOptions(SingleRowModel):
    """Settings → Email and SMS. Secrets are write-only in forms and never audited."""

    # Email.
    email_from = models.CharField("from address", max_length=254, blank=True)
    smtp_host = models.CharField(max_length=253, blank=True)
    smtp_port = models.PositiveIntegerField(null=True, blank=True)
    smtp_use_tls = models.BooleanField(default=True)
    smtp_username = models.CharField(max_length=254, blank=True)
    smtp_password = models.CharField(max_length=254, blank=True)

    # SMS (Twilio).
    sms_account_sid = models.CharField("account SID", max_length=64, blank=True)
    sms_auth_token = models.CharField("auth token", max_length=128, blank=True)
    sms_sender = models.CharField("sender", max_length=64, blank=True,
                                  help_text="A number in E.164 or a messaging service SID (MG…).")
    sms_rate_per_second = models.PositiveSmallIntegerField("SMS per second", default=5)

    class Meta(SingleRowModel.Meta):
        verbose_name = "messaging options"
        verbose_name_plural = "messaging options"

    def __str__(self):
        return "Messaging options"
