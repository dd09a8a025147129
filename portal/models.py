import pghistory
from django.conf import settings
from django.db import models
from django.utils import timezone

from connex.models import TimeStampedModel


class PortalEvent(models.Model):
    """A typed access event of the portal: sign-ins, refusals, resets, verifications, Portal Login.

    Written in the same transaction as the action it records. It is also the store the sign-in
    throttle counts failures in, so throttling survives restarts and is shared by every worker.
    """

    class Kind(models.TextChoices):
        LOGIN = "login", "Signed in"
        LOGIN_FAILED = "login_failed", "Sign-in failed"
        LOGIN_REFUSED_IP = "login_refused_ip", "Sign-in refused: address not whitelisted"
        LOGIN_THROTTLED = "login_throttled", "Sign-in refused: too many failures"
        LOGIN_REFUSED_DOMAIN = "login_refused_domain", "Sign-in refused: another brand's portal domain"
        LOGOUT = "logout", "Signed out"
        PASSWORD_RESET_REQUESTED = "password_reset_requested", "Password reset requested"
        PASSWORD_RESET = "password_reset", "Password reset"
        EMAIL_VERIFIED = "email_verified", "Email verified"
        MOBILE_VERIFIED = "mobile_verified", "Mobile verified"
        CLI_SUBMITTED = "cli_submitted", "CLI submitted"
        CLI_APPROVED = "cli_approved", "CLI approved"
        CLI_REVOKED = "cli_revoked", "CLI revoked"
        SIP_USER_ADDED = "sip_user_added", "SIP user added"
        SIP_USER_PASSWORD = "sip_user_password", "SIP user password changed"
        SIP_USER_DELETED = "sip_user_deleted", "SIP user deleted"
        CONTACT_INVITED = "contact_invited", "Contact invited"
        CONTACT_RESET = "contact_reset", "Contact password reset sent"
        CONTACT_REMOVED = "contact_removed", "Contact removed"
        CONTACT_ADMIN_CHANGED = "contact_admin_changed", "Contact administrator changed"
        DID_DESTINATION_CHANGED = "did_destination_changed", "DID destination changed"
        LOW_BALANCE_ALERT_CHANGED = "low_balance_alert_changed", "Low-balance alert changed"
        IMPERSONATION_START = "impersonation_start", "Portal Login started"
        IMPERSONATION_END = "impersonation_end", "Portal Login ended"

    created = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    email = models.CharField(max_length=254, blank=True, help_text="The login as typed (lower-cased).")
    ip = models.GenericIPAddressField(null=True, blank=True)
    contact = models.ForeignKey("contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="portal_events")
    customer = models.ForeignKey("customers.Customer", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="portal_events")
    staff_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="portal_events", help_text="The staff member, for Portal Login.")
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["email", "ip", "kind", "created"], name="portalevent_throttle")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.email or self.contact_id} at {self.created:%Y-%m-%d %H:%M}"


@pghistory.track(
    pghistory.InsertEvent("portal_code.created"),
    pghistory.UpdateEvent("portal_code.updated"),
    exclude=["code_hash", "updated"],
)
class PortalCode(TimeStampedModel):
    """A short numeric code sent to prove control of a mobile number or a CLI; stored hashed."""

    class Purpose(models.TextChoices):
        MOBILE = "mobile", "Mobile verification"
        CLI = "cli", "CLI verification"

    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="portal_codes")
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    target = models.CharField(max_length=20, help_text="The E.164 number the code was sent to.")
    code_hash = models.CharField(max_length=128)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["contact", "purpose", "target"], name="portalcode_lookup")]

    def __str__(self):
        return f"{self.get_purpose_display()} for {self.target}"
