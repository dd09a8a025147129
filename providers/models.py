import pghistory
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from connex.models import TimeStampedModel
from connex.validators import plain_text
from customers.models import validate_currency
from sipauth.models import validate_host

digits_only = RegexValidator(r"^[0-9]*$", "Digits only.")


@pghistory.track(
    pghistory.InsertEvent("provider.created"),
    pghistory.UpdateEvent("provider.updated"),
    pghistory.DeleteEvent("provider.deleted"),
    exclude=["updated"],
)
class Provider(TimeStampedModel):
    """A carrier calls are sent to; it prices them through its own (buy) rate cards."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DISABLED = "disabled", "Disabled"

    name = models.CharField(max_length=120, validators=[plain_text])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    currency = models.CharField(max_length=3, validators=[validate_currency])
    tier = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1), MaxValueValidator(99)],
                                            help_text="Weighted-tiers routing tries lower tiers first.")
    weight = models.PositiveSmallIntegerField(default=100, validators=[MaxValueValidator(1000)],
                                              help_text="Share of calls among the providers of its tier.")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="provider_name_ci_unique",
                                    violation_error_message="A provider with this name already exists."),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("providers:provider_detail", args=[self.pk])

    @property
    def rate_cards(self):
        return [link.card for link in self.card_links.all()]


@pghistory.track(
    pghistory.InsertEvent("gateway.created"),
    pghistory.UpdateEvent("gateway.updated"),
    pghistory.DeleteEvent("gateway.deleted"),
    exclude=["updated"],
)
class Gateway(TimeStampedModel):
    """A provider's SIP endpoint. Calls are relayed to its host with the tech prefix put before the number."""

    class Transport(models.TextChoices):
        UDP = "udp", "UDP"
        TCP = "tcp", "TCP"
        TLS = "tls", "TLS"

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="gateways")
    host = models.CharField("host or IP", max_length=253, validators=[validate_host])
    port = models.PositiveIntegerField(default=5060, validators=[MinValueValidator(1), MaxValueValidator(65535)])
    transport = models.CharField(max_length=3, choices=Transport.choices, default=Transport.UDP)
    tech_prefix = models.CharField(max_length=16, blank=True, validators=[digits_only],
                                   help_text="Digits put before the number sent to this gateway.")
    channels = models.PositiveIntegerField(default=0, help_text="Concurrent calls; 0 for no limit.")
    flow_speed = models.PositiveIntegerField("CPS", default=0, help_text="Calls per second; 0 for no limit.")
    weight = models.PositiveSmallIntegerField(default=100, validators=[MaxValueValidator(1000)],
                                              help_text="Share of calls among the provider's gateways.")
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["provider", "-weight", "pk"]
        constraints = [
            models.UniqueConstraint("provider", Lower("host"), "port", "transport", "tech_prefix",
                                    name="gateway_unique_per_provider",
                                    violation_error_message="This provider already has this gateway."),
            models.CheckConstraint(condition=Q(port__gte=1) & Q(port__lte=65535), name="gateway_port_range"),
            models.CheckConstraint(condition=Q(tech_prefix__regex=r"^[0-9]*$"), name="gateway_tech_prefix_digits"),
        ]

    def __str__(self):
        return f"{self.host}:{self.port}/{self.get_transport_display()}"

    def clean(self):
        super().clean()
        self.host = (self.host or "").strip().lower()

    def uri(self, number: str) -> str:
        suffix = "" if self.transport == self.Transport.UDP else f";transport={self.transport}"
        return f"sip:{self.tech_prefix}{number}@{self.host}:{self.port}{suffix}"


@pghistory.track(
    pghistory.InsertEvent("provider_rate_card.created"),
    pghistory.DeleteEvent("provider_rate_card.deleted"),
)
class ProviderRateCard(models.Model):
    """A buy card and the provider whose prices it holds. A card belongs to one provider."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="card_links")
    card = models.OneToOneField("rates.RateCard", on_delete=models.CASCADE, related_name="provider_link",
                                limit_choices_to={"kind": "provider"})

    class Meta:
        ordering = ["provider", "card"]
        verbose_name = "provider rate card"

    def __str__(self):
        return f"{self.provider} · {self.card}"
