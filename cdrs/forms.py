from datetime import UTC, datetime

from django import forms

from .models import RecalcJob

INPUT = {"class": "form-control form-control-sm"}


def today_utc():
    return datetime.now(UTC).date()


class DayForm(forms.Form):
    day = forms.DateField(required=False, widget=forms.DateInput(attrs=INPUT | {"type": "date"}, format="%Y-%m-%d"))

    def day_or_today(self):
        return (self.cleaned_data.get("day") if self.is_valid() else None) or today_utc()


class RecalcForm(forms.ModelForm):
    class Meta:
        model = RecalcJob
        fields = ["day", "mode", "longer_than", "new_duration"]
        labels = {"longer_than": "Calls longer than (s)", "new_duration": "New duration (s)"}
        widgets = {"day": forms.DateInput(attrs=INPUT | {"type": "date"}, format="%Y-%m-%d"),
                   "mode": forms.Select(attrs={"class": "form-select form-select-sm"}),
                   "longer_than": forms.NumberInput(attrs=INPUT | {"min": 0, "placeholder": "3600"}),
                   "new_duration": forms.NumberInput(attrs=INPUT | {"min": 0, "placeholder": "60"})}
