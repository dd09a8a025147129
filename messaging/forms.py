import re

from django import forms

from connex.forms import OptionsForm
from connex.phone import phone_e164

from .models import Message, MessagingOptions

TEXT = {"class": "form-control form-control-sm"}


class SecretOptionsForm(OptionsForm):
    """Secrets are write-only: never rendered, blank keeps the stored one."""

    secret_fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.secret_fields:
            stored = bool(getattr(self.instance, name))
            field = self.fields[name]
            field.required = False
            field.widget = forms.PasswordInput(render_value=False, attrs={
                **TEXT, "autocomplete": "new-password",
                "placeholder": "•••••••• (stored; leave blank to keep)" if stored else "Not set"})
            self.fields[f"clear_{name}"] = forms.BooleanField(
                required=False, label=f"Clear the stored {field.label if field.label[:2].isupper() else field.label.lower()}",
                widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))

    def clean(self):
        cleaned = super().clean()
        for name in self.secret_fields:
            if cleaned.get(f"clear_{name}"):
                if cleaned.get(name):
                    self.add_error(name, "Either type a new value or clear the stored one, not both.")
                cleaned[name] = ""
            elif not cleaned.get(name):
                cleaned[name] = self.initial.get(name) or getattr(self.instance, name)
        return cleaned


class EmailSettingsForm(SecretOptionsForm):
    secret_fields = ("smtp_password",)

    class Meta:
        model = MessagingOptions
        fields = ["email_from", "smtp_host", "smtp_port", "smtp_use_tls", "smtp_username", "smtp_password"]
        help_texts = {
            "email_from": "e.g. Connex Billing <billing@example.com>. Blank uses DEFAULT_FROM_EMAIL.",
            "smtp_host": "Blank uses EMAIL_URL from the environment.",
            "smtp_port": "Blank: 587 with TLS, 25 without.",
        }
        labels = {"smtp_host": "SMTP host", "smtp_port": "SMTP port", "smtp_use_tls": "Use TLS (STARTTLS)",
                  "smtp_username": "SMTP username", "smtp_password": "SMTP password"}
        widgets = {"smtp_use_tls": forms.CheckboxInput(attrs={"class": "form-check-input"})}

    def clean_email_from(self):
        from email.utils import parseaddr

        from django.core.validators import validate_email

        value = self.cleaned_data["email_from"].strip()
        if value:
            try:
                validate_email(parseaddr(value)[1])
            except forms.ValidationError:
                raise forms.ValidationError("Enter an address, or Name <address>.")
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("smtp_port") and not cleaned.get("smtp_host"):
            self.add_error("smtp_host", "Give the SMTP host the port belongs to.")
        return cleaned


class SmsSettingsForm(SecretOptionsForm):
    secret_fields = ("sms_auth_token",)

    class Meta:
        model = MessagingOptions
        fields = ["sms_account_sid", "sms_auth_token", "sms_sender", "sms_rate_per_second"]
        help_texts = {
            "sms_account_sid": "Twilio account SID (AC…). Blank uses TWILIO_ACCOUNT_SID from the environment.",
            "sms_rate_per_second": "Broadcasts send at most this many SMS per second.",
            "sms_sender": "A number in E.164 (+14155550123) or a messaging service SID (MG…). "
                          "Blank uses TWILIO_FROM from the environment.",
        }
        labels = {"sms_account_sid": "Account SID", "sms_auth_token": "Auth token"}

    def clean_sms_account_sid(self):
        value = self.cleaned_data["sms_account_sid"].strip()
        if value and not re.fullmatch(r"AC[0-9a-fA-F]{32}", value):
            raise forms.ValidationError("An account SID is AC followed by 32 hexadecimal characters.")
        return value

    def clean_sms_sender(self):
        value = self.cleaned_data["sms_sender"].strip()
        if not value or re.fullmatch(r"MG[0-9a-fA-F]{32}", value):
            return value
        try:
            return phone_e164(value)
        except forms.ValidationError:
            raise forms.ValidationError("Give a number in E.164 (+14155550123) or a messaging service SID (MG…).")

    def clean_sms_rate_per_second(self):
        value = self.cleaned_data["sms_rate_per_second"]
        if not 1 <= value <= 100:
            raise forms.ValidationError("Between 1 and 100 per second.")
        return value


class BroadcastForm(forms.Form):
    channel = forms.ChoiceField(choices=Message.Channel.choices, widget=forms.HiddenInput)
    subject = forms.CharField(required=False, max_length=255, widget=forms.TextInput(attrs=TEXT))
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={**TEXT, "rows": 10, "class": "form-control form-control-sm font-monospace"}))
