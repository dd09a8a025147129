from django import forms

from customers.selectors import customers_visible_to
from rates.models import RateCard
from sipauth.models import IpAuthEntry, SipUser

from .models import Did

INPUT = {"class": "form-control form-control-sm"}
SELECT = {"class": "form-select form-select-sm"}


def _origination_cards(kind):
    return RateCard.objects.filter(kind=kind, direction=RateCard.Direction.ORIGINATION).order_by("name")


class DidForm(forms.ModelForm):
    number = forms.CharField(max_length=32, widget=forms.TextInput(attrs=INPUT | {"placeholder": "+442071838750"}),
                             help_text="E.164, e.g. +442071838750.")

    class Meta:
        model = Did
        fields = ["number", "provider", "provider_card", "customer", "customer_card", "destination_type", "sip_user",
                  "ip_entry", "destination_uri", "portal_can_edit_destination", "channels", "cps", "max_duration"]
        widgets = {name: forms.Select(attrs=SELECT) for name in
                   ("provider", "provider_card", "customer", "customer_card", "destination_type", "sip_user",
                    "ip_entry")} | {
            "destination_uri": forms.TextInput(attrs=INPUT), "channels": forms.NumberInput(attrs=INPUT),
            "cps": forms.NumberInput(attrs=INPUT), "max_duration": forms.NumberInput(attrs=INPUT),
            "portal_can_edit_destination": forms.CheckboxInput(attrs={"class": "form-check-input"})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.number:
            self.initial["number"] = self.instance.e164
        customers = customers_visible_to(user)
        self.fields["customer"].queryset = customers.order_by("name")
        self.fields["provider_card"].queryset = _origination_cards(RateCard.Kind.PROVIDER)
        self.fields["customer_card"].queryset = _origination_cards(RateCard.Kind.CUSTOMER)
        self.fields["sip_user"].queryset = SipUser.objects.filter(customer__in=customers).select_related("customer")
        self.fields["ip_entry"].queryset = IpAuthEntry.objects.filter(customer__in=customers).select_related(
            "customer")
        self.fields["sip_user"].label_from_instance = lambda u: f"{u.extension} ({u.customer})"
        self.fields["ip_entry"].label_from_instance = lambda e: f"{e.address}:{e.port} ({e.customer})"


class DidUploadForm(forms.Form):
    file = forms.FileField(widget=forms.ClearableFileInput(attrs=INPUT | {"accept": ".csv,.txt"}),
                           help_text="CSV with a header row; every row is checked and nothing is saved if any "
                                     "row is wrong.")

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > 20 * 1024 * 1024:
            raise forms.ValidationError("The file is larger than 20 MB.")
        return file


class DidAssignForm(forms.Form):
    customer = forms.ModelChoiceField(queryset=None, widget=forms.Select(attrs=SELECT))
    customer_card = forms.ModelChoiceField(queryset=None, label="Customer origination card",
                                           widget=forms.Select(attrs=SELECT))
    destination_uri = forms.CharField(label="External URI", required=False, max_length=200,
                                      widget=forms.TextInput(attrs=INPUT),
                                      help_text="Optional: where calls to these numbers go (set a SIP user or IP "
                                                "entry per number on its page).")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers_visible_to(user).order_by("name")
        self.fields["customer_card"].queryset = _origination_cards(RateCard.Kind.CUSTOMER)
