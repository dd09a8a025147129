import hashlib
import ipaddress
import re

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from connex.models import TimeStampedModel

EXTENSION_MAX = 2**31 - 1
HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$", re.IGNORECASE)
digits_only = RegexValidator(r"^\d*$", "Digits only.")

# One meaning of 0 for every entry that carries its own limit: no limit of its own.
CHANNELS_HELP = "Concurrent calls for this entry; 0 means no limit of its own (the customer's channels apply)."


def sip_realm():
    return getattr(settings, "SIP_REALM", "connex")


def digest_ha1(username: str, realm: str, password: str) -> str:
    """HA1 of RFC 2617/3261 digest: what a switch (Kamailio auth_db, FreeSWITCH a1-hash) checks against."""
    return hashlib.md5(f"{username}:{realm}:{password}".encode()).hexdigest()  # noqa: S324 - mandated by SIP


def validate_network(value):
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValidationError(f"“{value}” is not an IP address or CIDR network.") from None


def validate_host(value):
    try:
        ipaddress.ip_address(value)
    except ValueError:
        if not HOSTNAME_RE.match(value) or value.replace(".", "").isdigit():
            raise ValidationError("Enter an IPv4/IPv6 address or a hostname.") from None


@pghistory.track(
    pghistory.InsertEvent("sipuser.created"),
    pghistory.UpdateEvent("sipuser.updated"),
    pghistory.DeleteEvent("sipuser.deleted"),
    exclude=["ha1", "updated"],
)
class SipUser(TimeStampedModel):
    """A SIP registration account; the username is an internal extension, unique account-wide.

    The password itself is never stored: only its digest HA1 for the configured realm, which is
    all a switch needs to check a SIP digest response.
    """

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="sip_users")
    extension = models.PositiveIntegerField(unique=True, validators=[MaxValueValidator(EXTENSION_MAX)],
                                            error_messages={"unique": "This extension is already in use."})
    realm = models.CharField(max_length=128, default=sip_realm, editable=False)
    ha1 = models.CharField("digest HA1", max_length=32, editable=False)
    password_changed = models.DateTimeField(null=True, editable=False)
    channels = models.PositiveIntegerField(default=1, help_text=CHANNELS_HELP)
    flow_speed = models.PositiveIntegerField("flow speed (CPS)", default=1)
    allowed_ips = ArrayField(models.CharField(max_length=64, validators=[validate_network]), default=list,
                             blank=True, verbose_name="IP restriction",
                             help_text="Addresses or CIDRs the user may register from; empty for any.")

    class Meta:
        permissions = [
            ("read_sip_secret", "Can read SIP digest secrets (HA1)"),
        ]
        ordering = ["extension"]
        verbose_name = "SIP user"

    def __str__(self):
        return self.username

    @property
    def username(self):
        return str(self.extension)

    def set_password(self, raw_password: str):
        from django.utils import timezone

        self.ha1 = digest_ha1(self.username, self.realm, raw_password)
        self.password_changed = timezone.now()

    def check_password(self, raw_password: str) -> bool:
        return bool(self.ha1) and self.ha1 == digest_ha1(self.username, self.realm, raw_password)


CODEC_CHOICES = [(c, c) for c in ("PCMU", "PCMA", "G722", "G729", "G723", "GSM", "iLBC", "SPEEX", "OPUS",
                                  "AMR", "AMR-WB", "H264", "VP8", "T38")]


@pghistory.track(
    pghistory.InsertEvent("ipauth.created"),
    pghistory.UpdateEvent("ipauth.updated"),
    pghistory.DeleteEvent("ipauth.deleted"),
    exclude=["updated"],
)
class IpAuthEntry(TimeStampedModel):
    """A switch or PBX of the customer authenticated by its address rather than a password."""

    class Protocol(models.TextChoices):
        UDP = "udp", "UDP"
        TCP = "tcp", "TCP"
        TLS = "tls", "TLS"

    class Direction(models.TextChoices):
        INGRESS = "ingress", "Ingress (calls from the customer)"
        EGRESS = "egress", "Egress (calls to the customer)"

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="ip_auth_entries")
    address = models.CharField("IP / hostname", max_length=253, validators=[validate_host])
    channels = models.PositiveIntegerField(default=0, help_text=CHANNELS_HELP)
    flow_speed = models.PositiveIntegerField("flow speed (CPS)", default=0,
                                             help_text="Calls per second; 0 uses the customer's limit.")
    protocol = models.CharField(max_length=3, choices=Protocol.choices, default=Protocol.UDP)
    port = models.PositiveIntegerField(default=5060, validators=[MinValueValidator(1), MaxValueValidator(65535)])
    tech_prefix = models.CharField(max_length=20, blank=True, validators=[digits_only],
                                   help_text="Digits the customer sends before the number to select this entry.")
    strip_digits = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(20)],
                                                    help_text="Leading digits removed from the dialled number.")
    dial_pattern = models.CharField(max_length=200, blank=True,
                                    help_text="Regular expression the dialled number must match; empty for any.")
    cli_prefix = models.CharField("CLI prefix", max_length=20, blank=True,
                                  validators=[RegexValidator(r"^\+?\d*$", "Digits only, optionally after +.")])
    codecs = ArrayField(models.CharField(max_length=10, choices=CODEC_CHOICES), default=list, blank=True,
                        help_text="Allowed codecs in order of preference; empty for any.")
    direction = models.CharField(max_length=7, choices=Direction.choices, default=Direction.INGRESS)

    class Meta:
        ordering = ["address", "port"]
        verbose_name = "IP authentication entry"
        verbose_name_plural = "IP authentication entries"
        constraints = [
            models.UniqueConstraint(
                "customer", Lower("address"), "port", "protocol", "tech_prefix", name="ipauth_unique_per_customer",
                violation_error_message="This customer already has an entry with this address, port, "
                                        "protocol and tech prefix."),
            models.CheckConstraint(condition=Q(port__gte=1) & Q(port__lte=65535), name="ipauth_port_range"),
            models.CheckConstraint(condition=Q(tech_prefix__regex=r"^[0-9]*$"), name="ipauth_tech_prefix_digits"),
        ]

    def __str__(self):
        return f"{self.address}:{self.port}/{self.get_protocol_display()}"

    def clean(self):
        super().clean()
        self.address = (self.address or "").strip().lower()
        if self.dial_pattern:
            try:
                re.compile(self.dial_pattern)
            except re.error as exc:
                raise ValidationError({"dial_pattern": f"Not a valid regular expression: {exc}."}) from None
        if len(set(self.codecs or [])) != len(self.codecs or []):
            raise ValidationError({"codecs": "List each codec once."})
