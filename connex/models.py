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
