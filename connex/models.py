import pghistory
from django.db import models

from .validators import plain_text


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


class SingleRowModel(TimeStampedModel):
    """Settings that exist once for the whole installation: one row, id 1, made on first read."""

    class Meta:
        abstract = True
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="%(app_label)s_%(class)s_single_row")]

    @classmethod
    def get(cls):
        options, _ = cls.objects.get_or_create(pk=1)
        return options

    @classmethod
    def get_for_update(cls):
        """The row, locked until the transaction ends (for settings a write consumes, like counters)."""
        cls.get()
        return cls.objects.select_for_update().get(pk=1)


@pghistory.track(
    pghistory.InsertEvent("options.created"),
    pghistory.UpdateEvent("options.updated"),
    exclude=["updated"],
)
class AccountOptions(SingleRowModel):
    """The operator's own identity, printed on invoices and emails. Each app keeps its own settings."""

    company_name = models.CharField(max_length=200, default="Connex Carrier Ltd", validators=[plain_text])
    company_address = models.TextField(blank=True)
    company_email = models.EmailField(blank=True)
    company_logo = models.ImageField(upload_to="branding/", blank=True,
                                     help_text="Shown in the customer portal's top bar (PNG, JPEG or WebP image, "
                                               "about 200×50 px).")

    class Meta(SingleRowModel.Meta):
        verbose_name = "account options"
        verbose_name_plural = "account options"

    def __str__(self):
        return "Account options"
