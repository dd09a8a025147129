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
