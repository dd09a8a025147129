from django import forms
from django.utils import timezone

from .models import RateCard

INPUT = {"class": "form-control form-control-sm"}
SELECT = {"class": "form-select form-select-sm"}


class RateCardForm(forms.ModelForm):
    class Meta:
        model = RateCard
        fields = ["name", "kind", "direction", "currency", "precision", "rounding"]
        widgets = {"name": forms.TextInput(attrs=INPUT), "currency": forms.TextInput(attrs=INPUT | {"maxlength": 3}),
                   "precision": forms.NumberInput(attrs=INPUT), "kind": forms.Select(attrs=SELECT),
                   "direction": forms.Select(attrs=SELECT), "rounding": forms.Select(attrs=SELECT)}


class DeckUploadForm(forms.Form):
    file = forms.FileField(help_text="CSV or XLSX; header row with prefix and rate, optionally name, connect_fee, "
                                     "mcd, pulse, grace, blocked.",
                           widget=forms.ClearableFileInput(attrs=INPUT | {"accept": ".csv,.xlsx"}))
    live_from = forms.DateTimeField(initial=timezone.now, help_text="Calls starting from this time use the deck.",
                                    widget=forms.DateTimeInput(attrs=INPUT | {"type": "datetime-local"}))

    def clean_file(self):
        file = self.cleaned_data["file"]
        if not file.name.lower().endswith((".csv", ".xlsx", ".txt")):
            raise forms.ValidationError("Upload a .csv or .xlsx file.")
        return file


class LookupForm(forms.Form):
    number = forms.RegexField(regex=r"^\+?[0-9]{1,32}$", error_messages={"invalid": "Digits only."},
                              widget=forms.TextInput(attrs=INPUT | {"placeholder": "447911123456"}))


class GenerateForm(forms.Form):
    """A customer card's new revision from a provider card's live rows, marked up."""

    source = forms.ModelChoiceField(queryset=RateCard.objects.none(), label="Provider card",
                                    widget=forms.Select(attrs=SELECT))
    live_from = forms.DateTimeField(initial=timezone.now, help_text="Calls starting from this time use the revision; "
                                    "the provider card's revision live at that time is the one marked up.",
                                    widget=forms.DateTimeInput(attrs=INPUT | {"type": "datetime-local"}))

    def __init__(self, *args, target, **kwargs):
        super().__init__(*args, **kwargs)
        self.target = target
        self.fields["source"].queryset = RateCard.objects.filter(kind=RateCard.Kind.PROVIDER,
                                                                 direction=target.direction).order_by("name")

    def clean_source(self):
        source = self.cleaned_data["source"]
        if source.currency != self.target.currency:
            raise forms.ValidationError(f"{source} is in {source.currency}; {self.target} is in "
                                        f"{self.target.currency}. Pick a card in the same currency.")
        return source


class MarkupRuleForm(forms.Form):
    pattern = forms.CharField(required=False, max_length=100, label="Prefix pattern",
                              help_text="A regular expression on the prefix, e.g. ^44 or ^(447|337); empty for all.",
                              widget=forms.TextInput(attrs=INPUT | {"placeholder": "^44 (empty: every prefix)"}))
    kind = forms.ChoiceField(choices=[("percent", "Percent"), ("absolute", "Absolute (per minute)")],
                             widget=forms.Select(attrs=SELECT))
    value = forms.DecimalField(max_digits=14, decimal_places=6, required=False,
                               widget=forms.NumberInput(attrs=INPUT | {"step": "any", "placeholder": "20"}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("pattern") and cleaned.get("value") is None:
            self.add_error("value", "Give the markup for this pattern.")
        return cleaned

    def rule(self):
        """(pattern, kind, value) or None for an empty row."""
        data = self.cleaned_data
        if data.get("value") is None:
            return None
        return data.get("pattern", ""), data["kind"], str(data["value"])


MarkupRuleFormSet = forms.formset_factory(MarkupRuleForm, extra=4, max_num=20)
