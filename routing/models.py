import pghistory
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from connex.models import TimeStampedModel

digits_only = RegexValidator(r"^[0-9]*$", "Digits only.")


@pghistory.track(
    pghistory.InsertEvent("ingress_route.created"),
    pghistory.UpdateEvent("ingress_route.updated"),
    pghistory.DeleteEvent("ingress_route.deleted"),
    exclude=["updated"],
)
class IngressRoute(TimeStampedModel):
    """How a customer's calls enter: which card prices them and the limits of this way in.

    A call takes the route whose tech prefix its dialled number starts with (longest first), then
    one whose dial pattern matches the rest (a pattern before the catch-all empty one), then the
    lowest priority. The tech prefix is stripped before the rate lookup.
    """

    class Strategy(models.TextChoices):
        LCR = "lcr", "LCR (cheapest first)"
        REVERSE_LCR = "reverse", "Reverse LCR (dearest first)"
        ROUND_ROBIN = "round_robin", "Round robin"
        RANDOM = "random", "Random"
        WEIGHTED = "weighted", "Weighted tiers"
        DROP = "drop", "Drop (refuse)"

    class RtpMode(models.TextChoices):
        DIRECT = "direct", "Direct"
        PROXIED_STRICT = "strict", "Proxied, strict"
        PROXIED_RELAXED = "relaxed", "Proxied, relaxed"

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="ingress_routes")
    rate_card = models.ForeignKey("rates.RateCard", on_delete=models.PROTECT, related_name="ingress_routes",
                                  limit_choices_to={"kind": "customer"})
    tech_prefix = models.CharField(max_length=16, blank=True, validators=[digits_only],
                                   help_text="Digits sent before the number to pick this route; empty for none.")
    dial_pattern = models.CharField(max_length=200, blank=True,
                                    help_text="Regular expression the number (after the tech prefix) must match; "
                                              "empty matches all.")
    priority = models.PositiveSmallIntegerField(default=100, help_text="Lower wins between equal matches.")
    channels = models.PositiveIntegerField(default=0, help_text="Concurrent calls; 0 uses the customer's limit.")
    flow_speed = models.PositiveIntegerField("flow speed (CPS)", default=0,
                                             help_text="Calls per second; 0 uses the customer's limit.")
    max_duration = models.PositiveIntegerField(default=7200, validators=[MaxValueValidator(86400)],
                                               help_text="Seconds; guards against a missed BYE.")
    capped_rate = models.DecimalField(max_digits=14, decimal_places=6, null=True, blank=True,
                                      help_text="Refuse destinations dearer than this per minute.")
    block_connect_cost = models.BooleanField(default=False, help_text="Refuse destinations with a connect fee.")
    strategy = models.CharField(max_length=12, choices=Strategy.choices, default=Strategy.LCR)
    lock_cards = models.ManyToManyField("rates.RateCard", blank=True, related_name="locking_routes",
                                        limit_choices_to={"kind": "provider"}, verbose_name="lock to provider cards",
                                        help_text="Only these provider cards; empty for all.")
    exclude_cards = models.ManyToManyField("rates.RateCard", blank=True, related_name="excluding_routes",
                                           limit_choices_to={"kind": "provider"},
                                           verbose_name="exclude provider cards")
    provider_capped_rate = models.DecimalField(max_digits=14, decimal_places=6, null=True, blank=True,
                                               help_text="Skip providers dearer than this per minute.")
    profit_assurance = models.BooleanField(default=False,
                                           help_text="Skip providers whose cost exceeds the customer's rate.")
    rtp_mode = models.CharField("RTP proxy mode", max_length=16, choices=RtpMode.choices,
                                default=RtpMode.PROXIED_RELAXED)
    max_providers = models.PositiveSmallIntegerField(default=5, validators=[MinValueValidator(1),
                                                                             MaxValueValidator(20)],
                                                     help_text="Routes offered to the switch, tried in order.")

    class Meta:
        ordering = ["customer", "-tech_prefix", "priority", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "tech_prefix", "dial_pattern"], name="ingressroute_unique_match",
                                    violation_error_message="This customer already has a route with this tech "
                                                            "prefix and dial pattern."),
            models.CheckConstraint(condition=Q(tech_prefix__regex=r"^[0-9]*$"), name="ingressroute_tech_prefix_digits"),
            models.CheckConstraint(condition=Q(capped_rate__isnull=True) | Q(capped_rate__gte=0),
                                   name="ingressroute_capped_rate_non_negative"),
            models.CheckConstraint(condition=Q(provider_capped_rate__isnull=True) | Q(provider_capped_rate__gte=0),
                                   name="ingressroute_provider_capped_rate_non_negative"),
        ]

    def __str__(self):
        parts = [self.tech_prefix and f"{self.tech_prefix}#", self.dial_pattern or "any number"]
        return f"{self.customer} · {' '.join(p for p in parts if p)} → {self.rate_card}"
