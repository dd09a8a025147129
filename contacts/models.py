import pghistory
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

from connex.models import TimeStampedModel
from connex.phone import phone_e164
from connex.validators import plain_multiline_text, plain_text

from .querysets import ContactQuerySet
from .validators import normalise_ip_whitelist


@pghistory.track(
    pghistory.InsertEvent("contact.created"),
    pghistory.UpdateEvent("contact.updated"),
    pghistory.DeleteEvent("contact.deleted"),
    # The password itself is never copied into history; that it changed, and by whom, is.
    pghistory.ManualEvent("contact.password_set"),
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
    name = models.CharField(max_length=120, validators=[plain_text])
    email = models.EmailField(help_text="The contact's portal login.")
    phone = models.CharField(max_length=20, blank=True, help_text="Stored as E.164.")
    mobile = models.CharField(max_length=20, blank=True, help_text="Stored as E.164; receives SMS.")
    contact_type = models.CharField(max_length=10, choices=Type.choices, default=Type.OTHER)
    public_notes = models.TextField(blank=True, help_text="Shown to the customer in the portal.",
                                    validators=[plain_multiline_text])
    private_notes = models.TextField(blank=True, help_text="Seen by staff only.",
                                     validators=[plain_multiline_text])
    email_verified = models.BooleanField(default=False)
    mobile_verified = models.BooleanField(default=False)
    portal_admin = models.BooleanField(
        "portal administrator", default=False,
        help_text="Manages the customer's other contacts in the portal (invite, reset, remove).")
    ip_whitelist = ArrayField(models.CharField(max_length=50), default=list, blank=True,
                              help_text="Addresses or CIDR networks the contact may sign in from.")
    password = models.CharField(max_length=128, blank=True, editable=False)
    last_login = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ContactQuerySet.as_manager()

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

    def clean(self):
        super().clean()
        errors = {}
        self.email = (self.email or "").strip()
        region = getattr(self.customer, "country", "") or None if self.customer_id else None
        for name in ("phone", "mobile"):
            if not (getattr(self, name) or "").strip():
                setattr(self, name, "")
                continue
            try:
                setattr(self, name, phone_e164(getattr(self, name), region))
            except ValidationError as exc:
                errors[name] = exc.messages
        try:
            self.ip_whitelist = normalise_ip_whitelist(self.ip_whitelist)
        except ValidationError as exc:
            errors["ip_whitelist"] = exc.messages
        if self.email and type(self).objects.exclude(pk=self.pk).filter(email__iexact=self.email).exists():
            errors["email"] = "Another contact already uses this email; each contact's email is its portal login."
        if errors:
            raise ValidationError(errors)

    def validate_constraints(self, exclude=None):
        # The case-insensitive email rule is reported next to the field by clean().
        super().validate_constraints(exclude=set(exclude or ()) | {"email"})

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
