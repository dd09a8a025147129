from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html


class PortalLoginForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"class": "form-control", "autofocus": True,
                                                            "autocomplete": "username"}))
    password = forms.CharField(widget=forms.PasswordInput(attrs={"class": "form-control",
                                                                 "autocomplete": "current-password"}))


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"class": "form-control", "autofocus": True,
                                                            "autocomplete": "username"}))


class PasswordResetForm(forms.Form):
    password = forms.CharField(label="New password", strip=False, help_text=password_validators_help_text_html(),
                               widget=forms.PasswordInput(attrs={"class": "form-control",
                                                                 "autocomplete": "new-password"}))
    confirm = forms.CharField(label="Repeat new password", strip=False,
                              widget=forms.PasswordInput(attrs={"class": "form-control",
                                                                "autocomplete": "new-password"}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password") and cleaned.get("confirm") and cleaned["password"] != cleaned["confirm"]:
            self.add_error("confirm", "The two passwords differ.")
        return cleaned


class CodeForm(forms.Form):
    code = forms.CharField(label="Code", max_length=6, min_length=6,
                           widget=forms.TextInput(attrs={"class": "form-control form-control-sm", "inputmode": "numeric",
                                                         "autocomplete": "one-time-code", "pattern": "[0-9]{6}",
                                                         "placeholder": "123456"}))


class CLIForm(forms.Form):
    number = forms.CharField(label="Number you call from", max_length=30,
                             widget=forms.TextInput(attrs={"class": "form-control form-control-sm", "placeholder": "+442071838750"}))


class SipUserAddForm(forms.Form):
    extension = forms.IntegerField(min_value=1, max_value=2**31 - 1, widget=forms.NumberInput(
        attrs={"class": "form-control form-control-sm"}), help_text="Within your number blocks.")


class ContactInviteForm(forms.Form):
    name = forms.CharField(max_length=120, widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
    email = forms.EmailField(widget=forms.EmailInput(attrs={"class": "form-control form-control-sm"}))
    portal_admin = forms.BooleanField(required=False, label="Administrator",
                                      widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))


class DidDestinationForm(forms.Form):
    """Where calls to one number go: only the customer's own SIP users and IP entries are offered."""

    destination_type = forms.ChoiceField(label="Destination", required=False,
                                         widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    sip_user = forms.ModelChoiceField(label="SIP user", queryset=None, required=False,
                                      widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    ip_entry = forms.ModelChoiceField(label="IP entry", queryset=None, required=False,
                                      widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    destination_uri = forms.CharField(label="External URI", required=False, max_length=200,
                                      widget=forms.TextInput(attrs={"class": "form-control form-control-sm",
                                                                    "placeholder": "sip:100@pbx.example.com"}))

    def __init__(self, *args, customer, **kwargs):
        from dids.models import Did

        super().__init__(*args, **kwargs)
        self.fields["destination_type"].choices = [("", "None")] + list(Did.DestinationType.choices)
        self.fields["sip_user"].queryset = customer.sip_users.order_by("extension")
        self.fields["ip_entry"].queryset = customer.ip_auth_entries.order_by("address", "port")


def _recipients_split(text):
    return [part.strip() for part in text.replace(";", ",").replace("\n", ",").split(",") if part.strip()]


class LowBalanceAlertForm(forms.Form):
    enabled = forms.BooleanField(label="Send low-balance alerts", required=False,
                                 widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    threshold = forms.DecimalField(label="Alert when the balance falls below", max_digits=20, decimal_places=6,
                                   widget=forms.NumberInput(attrs={"class": "form-control", "step": "any"}))
    reset_threshold = forms.DecimalField(label="Re-arm once the balance is back over", required=False,
                                         max_digits=20, decimal_places=6,
                                         help_text="Blank: the threshold itself.",
                                         widget=forms.NumberInput(attrs={"class": "form-control", "step": "any"}))
    recipients = forms.CharField(label="Recipients", required=False,
                                 help_text="Emails and mobiles (E.164), separated by commas; blank sends to your "
                                           "billing contacts.",
                                 widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}))

    def clean_recipients(self):
        return _recipients_split(self.cleaned_data.get("recipients") or "")
