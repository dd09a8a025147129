from django import forms

from connex.forms import panel_widgets
from rates.models import RateCard

from .models import Gateway, Provider


class ProviderForm(forms.ModelForm):
    class Meta:
        model = Provider
        fields = ["name", "status", "currency", "tier", "weight"]
        widgets = {"currency": forms.TextInput(attrs={"maxlength": 3, "placeholder": "USD"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        panel_widgets(self)

    def clean_currency(self):
        return (self.cleaned_data.get("currency") or "").strip().upper()


class GatewayForm(forms.ModelForm):
    class Meta:
        model = Gateway
        fields = ["host", "port", "transport", "tech_prefix", "channels", "flow_speed", "weight", "enabled"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        panel_widgets(self)


class ProviderCardAttachForm(forms.Form):
    """Attach one of the provider (buy) cards no provider holds yet."""

    card = forms.ModelChoiceField(queryset=RateCard.objects.none(), label="Provider rate card",
                                  empty_label="Choose a buy card",
                                  error_messages={"invalid_choice": "Choose a provider card no provider holds yet."},
                                  widget=forms.Select(attrs={"class": "form-select form-select-sm"}))

    def __init__(self, *args, provider, **kwargs):
        super().__init__(*args, **kwargs)
        # Cards in another currency stay listed so a wrong pick gets the service's reason.
        self.fields["card"].queryset = (RateCard.objects.filter(kind=RateCard.Kind.PROVIDER, provider_link__isnull=True)
                                        .order_by("name"))
        self.fields["card"].help_text = f"Cards in {provider.currency}, not yet held by a provider."
