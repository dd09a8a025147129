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
