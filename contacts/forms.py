from django import forms
from django.contrib.auth.password_validation import (
    password_validators_help_text_html,
    validate_password,
)
from django.core.exceptions import ValidationError

from connex.forms import panel_widgets
from customers.models import Customer

from .models import Contact
from .validators import normalise_ip_whitelist, split_whitelist_text


class PasswordChoiceMixin:
    """'Auto generate password' (default) or a typed password checked by Django's validators."""

    def add_password_fields(self, required_when_manual=True):
        self.fields["auto_password"] = forms.BooleanField(
            label="Auto generate password", required=False, initial=True,
            help_text="A strong password is generated and emailed to the contact; it is never shown here.")
        self.fields["password"] = forms.CharField(
            label="Password", required=False, strip=False,
            widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
            help_text=password_validators_help_text_html())

    def clean_password_choice(self, contact):
        auto = self.cleaned_data.get("auto_password")
        password = self.cleaned_data.get("password") or ""
        if auto:
            return None
        if not password:
            self.add_error("password", "Type a password, or tick “Auto generate password”.")
            return None
        try:
            validate_password(password, user=contact)
        except ValidationError as exc:
            self.add_error("password", exc)
        return password


class ContactForm(PasswordChoiceMixin, forms.ModelForm):
    ip_whitelist = forms.CharField(
        label="IP whitelist", required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "203.0.113.7\n198.51.100.0/24\n2001:db8::/32"}),
        help_text="One address or CIDR network per line (IPv4 or IPv6). Empty: sign-in from anywhere.")

    class Meta:
        model = Contact
        fields = ["customer", "name", "email", "phone", "mobile", "contact_type", "public_notes", "private_notes",
                  "email_verified", "mobile_verified", "portal_admin", "ip_whitelist"]
        widgets = {"public_notes": forms.Textarea(attrs={"rows": 2}),
                   "private_notes": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"phone": "International form, e.g. +442071838750; stored as E.164.",
                      "mobile": "International form; receives SMS codes."}

    def __init__(self, *args, customer=None, **kwargs):
        super().__init__(*args, **kwargs)
        if customer is not None:
            self.instance.customer = customer
        if self.instance.customer_id:
            del self.fields["customer"]
        else:
            self.fields["customer"].queryset = Customer.objects.order_by("name")
        self.initial["ip_whitelist"] = "\n".join(self.instance.ip_whitelist or [])
        if not self.instance.pk:
            self.add_password_fields()
        panel_widgets(self)

    def clean_ip_whitelist(self):
        return normalise_ip_whitelist(split_whitelist_text(self.cleaned_data.get("ip_whitelist", "")))

    def clean(self):
        cleaned = super().clean()
        self.password_choice = None
        if "auto_password" in self.fields:
            self.password_choice = self.clean_password_choice(self.instance)
        return cleaned


class ContactPasswordForm(PasswordChoiceMixin, forms.Form):
    def __init__(self, *args, contact, **kwargs):
        super().__init__(*args, **kwargs)
        self.contact = contact
        self.add_password_fields()
        self.fields["auto_password"].widget.attrs["class"] = "form-check-input"
        self.fields["password"].widget.attrs["class"] = "form-control form-control-sm"

    def clean(self):
        cleaned = super().clean()
        self.password_choice = self.clean_password_choice(self.contact)
        return cleaned
