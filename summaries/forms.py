from django import forms

from connex.forms import OptionsForm

from .models import CdrRetentionOptions
from .partitions import cdr_retained_from

MAX_REBUILD_DAYS = 3660


class RebuildForm(forms.Form):
    date_from = forms.DateField(label="From (UTC day)", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To (UTC day, inclusive)", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        low, high = data.get("date_from"), data.get("date_to")
        if low and high:
            if high < low:
                self.add_error("date_to", "The end is before the start.")
            elif (high - low).days >= MAX_REBUILD_DAYS:
                self.add_error("date_to", "Rebuild at most ten years at a time.")
            elif (kept_from := cdr_retained_from()) and low < kept_from:
                self.add_error("date_from", f"Raw CDRs before {kept_from:%Y-%m-%d} were removed by the retention "
                                            "setting; their summaries are kept and cannot be rebuilt.")
        return data


class CdrRetentionOptionsForm(OptionsForm):
    """Settings → CDR retention."""

    class Meta:
        model = CdrRetentionOptions
        fields = ["raw_cdr_days"]
