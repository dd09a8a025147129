from django import forms
from django.core.validators import RegexValidator

from connex.forms import OptionsForm

from .models import CallOptions, Switch

number = RegexValidator(r"^\+?[0-9#]{1,40}$", "Digits only (a leading + and a # after a tech prefix allowed).")


class SimulateForm(forms.Form):
    dialed = forms.CharField(label="Dialed number", max_length=41, validators=[number])
    cli = forms.CharField(label="CLI / ANI", max_length=64, required=False)
    pai = forms.CharField(label="P-Asserted-ID", max_length=64, required=False)
    switch_ip = forms.GenericIPAddressField(label="Switch IP", required=False)
    source_ip = forms.GenericIPAddressField(label="Customer IP", required=False,
                                            help_text="Identify the caller by address instead of this card.")
    sip_user = forms.CharField(label="SIP user", max_length=64, required=False)


class CallOptionsForm(OptionsForm):
    class Meta:
        model = CallOptions
        fields = ["attempt_retention_days", "cps_burst_percent", "unanswered_expiry", "end_margin"]


class SwitchForm(OptionsForm):
    rpc_url = forms.URLField(label="JSON-RPC URL", max_length=300, assume_scheme="http",
                             help_text=Switch._meta.get_field("rpc_url").help_text)

    class Meta:
        model = Switch
        fields = ["name", "address", "rpc_url"]
