import re

import pghistory
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q

from connex.models import TimeStampedModel

URI_RE = re.compile(r"^sips?:[^\s@]+(@[^\s]+)?$", re.IGNORECASE)


@pghistory.track(
    pghistory.InsertEvent("did.created"),
    pghistory.UpdateEvent("did.updated"),
    pghistory.DeleteEvent("did.deleted"),
    exclude=["updated"],
)
class Did(TimeStampedModel):
    """A number the carrier holds: bought from a provider (what it costs us, on the provider's
    origination card) and, once assigned, sold to a customer (what we charge, on the customer's
    origination card). Calls to it are inbound calls of that customer, relayed to the destination.

    The number is stored as E.164 digits without "+", as switches send it and CDRs carry it.
    """

    class DestinationType(models.TextChoices):
        SIP_USER = "sip_user", "SIP user"
        IP_ENTRY = "ip_entry", "IP entry"
        URI = "uri", "External URI"

    number = models.CharField(
        max_length=20, unique=True, db_collation="C",
        error_messages={"unique": "This number is already in the inventory."},
        help_text="E.164, e.g. +442071838750.")
    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="dids")
    provider_card = models.ForeignKey("rates.RateCard", on_delete=models.PROTECT, related_name="+",
                                      null=True, blank=True, verbose_name="provider origination card",
                                      help_text="What the provider charges us for calls to the number.")
    customer = models.ForeignKey("customers.Customer", on_delete=models.SET_NULL, related_name="dids",
                                 null=True, blank=True, help_text="Empty: the number is in stock.")
    customer_card = models.ForeignKey("rates.RateCard", on_delete=models.PROTECT, related_name="+",
                                      null=True, blank=True, verbose_name="customer origination card",
                                      help_text="What the customer pays for calls to the number.")
    destination_type = models.CharField(max_length=10, choices=DestinationType.choices, blank=True)
    sip_user = models.ForeignKey("sipauth.SipUser", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="dids", verbose_name="SIP user")
    ip_entry = models.ForeignKey("sipauth.IpAuthEntry", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="dids", verbose_name="IP entry")
    destination_uri = models.CharField("external URI", max_length=200, blank=True,
                                       help_text="sip:user@host[:port] the call is relayed to.")
    channels = models.PositiveIntegerField(default=0, help_text="Concurrent calls to the number; 0 for no limit "
                                                                "of its own (the customer's channels apply).")
    cps = models.PositiveIntegerField("CPS", default=0, help_text="Calls per second; 0 for no limit of its own.")
    max_duration = models.PositiveIntegerField(default=7200, validators=[MaxValueValidator(86400)],
                                               help_text="Seconds; guards a missed BYE.")
    assigned_at = models.DateTimeField(null=True, blank=True, editable=False)
    portal_can_edit_destination = models.BooleanField(
        "customer may change the destination", default=False,
        help_text="The customer's contacts may point the number at their own SIP users, IP entries or a URI "
                  "in the portal.")

    class Meta:
        ordering = ["number"]
        verbose_name = "DID"
        constraints = [
            models.CheckConstraint(condition=Q(number__regex=r"^[1-9][0-9]{6,14}$"), name="did_number_e164_digits"),
            models.CheckConstraint(condition=Q(customer__isnull=False) | Q(customer_card__isnull=True,
                                                                             destination_type=""),
                                   name="did_stock_has_no_sale"),
            models.CheckConstraint(condition=Q(max_duration__gte=1), name="did_max_duration_positive"),
        ]

    def __str__(self):
        return f"+{self.number}"

    @property
    def e164(self):
        return f"+{self.number}"

    @property
    def in_stock(self):
        return self.customer_id is None

    @property
    def destination_label(self):
        if self.destination_type == self.DestinationType.SIP_USER and self.sip_user_id:
            return f"SIP user {self.sip_user}"
        if self.destination_type == self.DestinationType.IP_ENTRY and self.ip_entry_id:
            return f"IP {self.ip_entry.address}:{self.ip_entry.port}"
        if self.destination_type == self.DestinationType.URI:
            return self.destination_uri
        return ""

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("dids:did_edit", args=[self.pk])

    def clean(self):
        from connex.phone import phone_e164

        errors = {}
        if self.number:
            try:
                self.number = phone_e164(self.number)[1:]
            except ValidationError as exc:
                errors["number"] = exc.messages
        if self.provider_card_id:
            card = self.provider_card
            if card.kind != "provider" or card.direction != "origination":
                errors["provider_card"] = ["Choose a provider (buy) card of direction origination."]
            elif self.provider_id and card.currency != self.provider.currency:
                errors["provider_card"] = [f"The card is in {card.currency}, the provider in {self.provider.currency}."]
        if self.customer_id is None:
            if self.customer_card_id or self.destination_type:
                errors.setdefault("customer", []).append("A number in stock has no customer card or destination; "
                                                         "choose a customer or clear them.")
        else:
            if not self.customer_card_id:
                errors["customer_card"] = ["An assigned number needs the customer's origination card."]
            else:
                card = self.customer_card
                if card.kind != "customer" or card.direction != "origination":
                    errors["customer_card"] = ["Choose a customer (sell) card of direction origination."]
                elif card.currency != self.customer.currency:
                    errors["customer_card"] = [f"The card is in {card.currency}, the customer in "
                                               f"{self.customer.currency}."]
        kind = self.destination_type
        if kind == self.DestinationType.SIP_USER:
            if not self.sip_user_id:
                errors["sip_user"] = ["Choose the SIP user calls go to."]
            elif self.sip_user.customer_id != self.customer_id:
                errors["sip_user"] = ["The SIP user belongs to another customer."]
        elif kind == self.DestinationType.IP_ENTRY:
            if not self.ip_entry_id:
                errors["ip_entry"] = ["Choose the IP entry calls go to."]
            elif self.ip_entry.customer_id != self.customer_id:
                errors["ip_entry"] = ["The IP entry belongs to another customer."]
        elif kind == self.DestinationType.URI:
            if not URI_RE.match(self.destination_uri or ""):
                errors["destination_uri"] = ["Enter a SIP URI, e.g. sip:100@pbx.example.com:5060."]
        if errors:
            raise ValidationError(errors)
        # Only the chosen destination is kept.
        if kind != self.DestinationType.SIP_USER:
            self.sip_user = None
        if kind != self.DestinationType.IP_ENTRY:
            self.ip_entry = None
        if kind != self.DestinationType.URI:
            self.destination_uri = ""
