from django import forms
from django.core.validators import MinValueValidator

from rates.models import RateCard

from .models import IngressRoute

INPUT = {"class": "form-control form-control-sm"}
SELECT = {"class": "form-select form-select-sm"}
MULTI = {"class": "form-select form-select-sm cx-multiselect", "data-placeholder": "Type a provider card…"}


class IngressRouteForm(forms.ModelForm):
    """A route and its strategy. The lock and exclude lists are saved by the service with the route."""

    class Meta:
        model = IngressRoute
        fields = ["rate_card", "tech_prefix", "dial_pattern", "priority", "channels", "flow_speed", "max_duration",
                  "capped_rate", "block_connect_cost",
                  "strategy", "lock_cards", "exclude_cards", "provider_capped_rate", "profit_assurance", "rtp_mode",
                  "max_providers"]
        widgets = {name: forms.TextInput(attrs=INPUT) for name in ("tech_prefix", "dial_pattern")} | {
            name: forms.NumberInput(attrs=INPUT) for name in ("priority", "channels", "flow_speed", "max_duration",
                                                              "capped_rate", "provider_capped_rate",
                                                              "max_providers")} | {
            name: forms.Select(attrs=SELECT) for name in ("rate_card", "strategy", "rtp_mode")} | {
            name: forms.SelectMultiple(attrs=MULTI) for name in ("lock_cards", "exclude_cards")} | {
            name: forms.CheckboxInput(attrs={"class": "form-check-input"})
            for name in ("block_connect_cost", "profit_assurance")}
        help_texts = {
            "strategy": "Order the providers are tried in: LCR cheapest first, reverse LCR dearest first, round robin "
                        "rotates the cheapest-first order, random, weighted tiers (lower tier first, by weight "
                        "within), or drop (refuse with 403).",
            "rtp_mode": "Direct: media flows between the ends. Proxied strict: refuse the call without a relay. "
                        "Proxied relaxed: relay when one is available.",
            "max_providers": "Routes offered to the switch, tried in order (1–20).",
        }

    STRATEGY_FIELDS = ("strategy", "lock_cards", "exclude_cards", "provider_capped_rate", "profit_assurance",
                       "rtp_mode", "max_providers")

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.customer = customer
        # Every card is listed so a wrong pick gets the service's reason rather than "not a choice".
        self.fields["rate_card"].queryset = RateCard.objects.order_by("kind", "name")
        provider_cards = RateCard.objects.filter(kind=RateCard.Kind.PROVIDER).order_by("name")
        for name in ("lock_cards", "exclude_cards"):
            self.fields[name].queryset = provider_cards
        self.fields["lock_cards"].help_text = f"Only these provider cards ({customer.currency}); empty for all."
        self.fields["exclude_cards"].help_text = "Never these provider cards."
        for name in ("capped_rate", "provider_capped_rate"):
            self.fields[name].validators.append(MinValueValidator(0, "A rate cannot be negative."))

    def route_fields(self):
        return [self[name] for name in self.Meta.fields if name not in self.STRATEGY_FIELDS]

    def strategy_fields(self):
        return [self[name] for name in self.STRATEGY_FIELDS]

    def clean(self):
        data = super().clean()
        if data.get("strategy") == IngressRoute.Strategy.DROP and (data.get("lock_cards") or
                                                                   data.get("exclude_cards")):
            self.add_error("strategy", "A route that drops calls uses no provider; clear the lock and exclude "
                                       "lists or choose another strategy.")
        return data
