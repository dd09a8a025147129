from django.conf import settings
from django.db import models


class StaffEvent(models.Model):
    """Who changed which staff account or role, and how: the audit trail of access rights."""

    class Kind(models.TextChoices):
        CREATED = "created", "Staff member created"
        CHANGED = "changed", "Staff member changed"
        PASSWORD_RESET = "password_reset", "Password reset"
        ROLE_CHANGED = "role_changed", "Role permissions changed"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    date = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="staff_events")
    group = models.ForeignKey("auth.Group", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-date", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.date:%Y-%m-%d %H:%M})"
