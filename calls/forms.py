from django import forms
from django.core.validators import RegexValidator

number = RegexValidator(r"^\+?[0-9#]{1,40}$", "Digits only (a leading + and a # after a tech prefix allowed).")


class SimulateForm(forms.Form):
    dialed = forms.CharField(label="Dialed number", max_length=41, validators=[number])
    cli = forms.CharField(label="CLI / ANI", max_length=64, required=False)
    pai = forms.CharField(label="P-Asserted-ID", max_length=64, required=False)
    switch_ip = forms.GenericIPAddressField(label="Switch IP", required=False)
    source_ip = forms.GenericIPAddressField(label="Customer IP", required=False,
                                            help_text="Identify the caller by address instead of this card.")
    sip_user = forms.CharField(label="SIP user", max_length=64, required=False)
