from django import forms

from rates.models import RateCard

from .models import IngressRoute

INPUT = {"class": "form-control form-control-sm"}


class IngressRouteForm(forms.ModelForm):
    class Meta:
        model = IngressRoute
        fields = ["rate_card", "tech_prefix", "dial_pattern", "priority", "channels", "flow_speed", "max_duration",
                  "capped_rate", "block_connect_cost"]
        widgets = {name: forms.TextInput(attrs=INPUT) for name in ("tech_prefix", "dial_pattern")} | {
            name: forms.NumberInput(attrs=INPUT) for name in ("priority", "channels", "flow_speed", "max_duration",
                                                              "capped_rate")} | {
            "rate_card": forms.Select(attrs={"class": "form-select form-select-sm"})}

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.customer = customer
        # Every card is listed so a wrong pick gets the service's reason rather than "not a choice".
        self.fields["rate_card"].queryset = RateCard.objects.order_by("kind", "name")
