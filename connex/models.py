import pghistory
from django.db import models


class TimeStampedModel(models.Model):
    """Base for every domain model: when a row was made and last changed."""

    created = models.DateTimeField(auto_now_add=True, db_index=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class StaffPreference(models.Model):
    """Per-staff settings: display timezone and the columns chosen for each table."""

    user = models.OneToOneField("auth.User", on_delete=models.CASCADE, related_name="preference")
    timezone = models.CharField(max_length=64, default="UTC")
    table_columns = models.JSONField(default=dict, blank=True)

    def __str__(self):
        return f"Preferences of {self.user}"

    @classmethod
    def for_user(cls, user):
        preference, _ = cls.objects.get_or_create(user=user)
        return preference


@pghistory.track(
    pghistory.InsertEvent("options.created"),
    pghistory.UpdateEvent("options.updated"),
    exclude=["updated", "smtp_password", "sms_auth_token"],
)
class AccountOptions(TimeStampedModel):
    """Account-wide settings, one row. Secrets here are write-only in forms and never audited."""

    class LineGrouping(models.TextChoices):
        DESTINATION = "destination", "One line per destination"
        DAY = "day", "One line per day"

    # The operator's own identity, printed on invoices.
    company_name = models.CharField(max_length=200, default="Connex Carrier Ltd")
    company_address = models.TextField(blank=True)
    company_email = models.EmailField(blank=True)
    company_logo = models.ImageField(upload_to="branding/", blank=True,
                                     help_text="Shown in the customer portal's top bar (PNG, JPEG or WebP image, "
                                               "about 200×50 px).")

    # Internal number blocks.
    number_range_start = models.PositiveIntegerField(null=True, blank=True)
    block_size = models.PositiveIntegerField(null=True, blank=True)

    # Invoicing.
    invoice_number_prefix = models.CharField(max_length=20, default="INV-", blank=True)
    invoice_next_number = models.PositiveIntegerField(default=1)
    invoice_line_grouping = models.CharField(max_length=12, choices=LineGrouping.choices,
                                             default=LineGrouping.DESTINATION)
    invoice_empty_periods = models.BooleanField(
        "invoice periods without usage", default=False,
        help_text="Auto-generation also creates invoices for periods with no usage.")

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

    class Meta:
        verbose_name = "account options"
        verbose_name_plural = "account options"
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="accountoptions_single_row")]

    def __str__(self):
        return "Account options"

    @classmethod
    def get(cls):
        options, _ = cls.objects.get_or_create(pk=1)
        return options
