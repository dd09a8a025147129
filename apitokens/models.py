import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from connex.models import TimeStampedModel
from connex.validators import plain_text


class Scope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Write"
    SWITCH = "switch", "Switch (call-time lookups, SIP secrets, CDR ingest)"


class ApiTokenQuerySet(models.QuerySet):
    def update(self, **kwargs):
        rows = super().update(**kwargs)
        if set(kwargs) - {"last_used_at"}:
            # Saves and deletes send signals; a bulk update must invalidate cached tokens too.
            from .cache import api_auth_changed

            api_auth_changed()
        return rows


@pghistory.track(
    pghistory.InsertEvent("api_token.created"),
    pghistory.UpdateEvent("api_token.updated"),
    pghistory.DeleteEvent("api_token.deleted"),
    # The key's hash never goes into history; its use is not a change worth a row per request.
    exclude=["key_hash", "last_used_at", "updated"],
)
class ApiToken(TimeStampedModel):
    """A key for the REST API acting as its staff user, limited to its scopes.

    Only a SHA-256 of the key is stored (the key is random, so a slow hash adds nothing); the
    key is shown once, at creation. `prefix` is its public start, used to find the row.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. “Kamailio edge 1”.", validators=[plain_text])
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = ArrayField(models.CharField(max_length=10, choices=Scope.choices), default=list)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Blank for no expiry.")
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        verbose_name = "API token"
        permissions = [("manage_all_api_tokens", "Can manage every staff member's API tokens")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(scopes=[]), name="apitoken_has_a_scope"),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_expired(self):
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_active(self):
        return self.revoked_at is None and not self.is_expired

    @property
    def state(self):
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.is_expired else "active"
