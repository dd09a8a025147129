from django import forms

from connex.forms import OptionsForm

from .models import PayPalOptions


class PayPalOptionsForm(OptionsForm):
    """Settings → PayPal."""

    class Meta:
        model = PayPalOptions
        fields = ["enabled", "receiver_email", "exchange_rates"]
        widgets = {"exchange_rates": forms.Textarea(attrs={"rows": 4, "placeholder": "EUR USD 1.08"})}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("enabled") and not cleaned.get("receiver_email"):
            self.add_error("receiver_email", "Give the company's PayPal email to offer PayPal top-ups.")
        return cleaned


class TopupForm(forms.Form):
    amount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=0.01, widget=forms.NumberInput(
        attrs={"class": "form-control", "step": "0.01", "inputmode": "decimal", "autofocus": True}))
    currency = forms.ChoiceField(widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args, currencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [(code, code) for code in currencies]
        self.fields["currency"].initial = currencies[0]
