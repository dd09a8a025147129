import re

from django import forms

from .models import CODEC_CHOICES, IpAuthEntry, SipUser

SPLIT = re.compile(r"[\s,;]+")


def _style(form):
    for field in form.fields.values():
        if isinstance(field.widget, forms.Select):
            field.widget.attrs.setdefault("class", "form-select form-select-sm")
        elif not isinstance(field.widget, forms.RadioSelect):
            field.widget.attrs.setdefault("class", "form-control form-control-sm")


class ListField(forms.CharField):
    """A list typed as text separated by commas, spaces or new lines."""

    def to_python(self, value):
        value = super().to_python(value)
        return [item for item in SPLIT.split(value or "") if item]

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value


class SipUserForm(forms.ModelForm):
    extension = forms.IntegerField(min_value=1, max_value=2**31 - 1,
                                   widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}))
    password = forms.CharField(required=False, max_length=128, strip=False,
                               widget=forms.TextInput(attrs={"autocomplete": "new-password", "spellcheck": "false"}))
    allowed_ips = ListField(required=False, label="IP restriction",
                            help_text="Addresses or CIDRs, separated by commas; empty for any.")

    class Meta:
        model = SipUser
        fields = ["extension", "password", "channels", "flow_speed", "allowed_ips"]

    def __init__(self, *args, suggested_extension=None, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)
        if self.instance.pk:
            self.fields["password"].help_text = "Leave empty to keep the current password."
        else:
            self.fields["password"].help_text = "Leave empty to generate one; it is shown once after saving."
            if suggested_extension is not None and not self.is_bound:
                self.initial["extension"] = suggested_extension
        if suggested_extension is not None:
            self.fields["extension"].help_text = f"Next free: {suggested_extension}."

    def clean_password(self):
        password = self.cleaned_data.get("password", "")
        if password and len(password) < 8:
            raise forms.ValidationError("Use at least 8 characters.")
        return password


class CodecListField(ListField):
    canonical = {value.lower(): value for value, _ in CODEC_CHOICES}

    def clean(self, value):
        codecs = super().clean(value)
        unknown = [c for c in codecs if c.lower() not in self.canonical]
        if unknown:
            raise forms.ValidationError(f"Unknown codec: {', '.join(unknown)}. Known: "
                                        f"{', '.join(self.canonical.values())}.")
        return [self.canonical[c.lower()] for c in codecs]


class IpAuthEntryForm(forms.ModelForm):
    codecs = CodecListField(required=False, help_text="In order of preference, e.g. PCMA, PCMU, G729; empty for any.")

    class Meta:
        model = IpAuthEntry
        fields = ["address", "channels", "flow_speed", "protocol", "port", "tech_prefix", "strip_digits",
                  "dial_pattern", "cli_prefix", "codecs", "direction"]
        widgets = {"direction": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)
