import pghistory
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

from connex.models import TimeStampedModel


@pghistory.track(
    pghistory.InsertEvent("contact.created"),
    pghistory.UpdateEvent("contact.updated"),
    pghistory.DeleteEvent("contact.deleted"),
    exclude=["password", "updated", "last_login"],
)
class Contact(TimeStampedModel):
    """A person at a customer; its email is its portal login."""

    class Type(models.TextChoices):
        BILLING = "billing", "Billing"
        TECHNICAL = "technical", "Technical"
        SALES = "sales", "Sales"
        NOC = "noc", "NOC"
        OTHER = "other", "Other"

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=120)
    email = models.EmailField(help_text="The contact's portal login.")
    phone = models.CharField(max_length=20, blank=True, help_text="Stored as E.164.")
    mobile = models.CharField(max_length=20, blank=True, help_text="Stored as E.164; receives SMS.")
    contact_type = models.CharField(max_length=10, choices=Type.choices, default=Type.OTHER)
    public_notes = models.TextField(blank=True, help_text="Shown to the customer in the portal.")
    private_notes = models.TextField(blank=True, help_text="Seen by staff only.")
    email_verified = models.BooleanField(default=False)
    mobile_verified = models.BooleanField(default=False)
    ip_whitelist = ArrayField(models.CharField(max_length=50), default=list, blank=True,
                              help_text="Addresses or CIDR networks the contact may sign in from.")
    password = models.CharField(max_length=128, blank=True, editable=False)
    last_login = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="contact_email_ci_unique",
                                    violation_error_message="Another contact already uses this email."),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("customers:customer_detail", args=[self.customer_id])

    def set_password(self, raw_password):
        self.password = make_password(raw_password)

    def check_password(self, raw_password):
        def upgrade(raw):
            self.set_password(raw)
            self.save(update_fields=["password"])

        return bool(self.password) and check_password(raw_password, self.password, upgrade)

    @property
    def has_password(self):
        return bool(self.password)
