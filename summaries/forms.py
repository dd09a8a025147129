from django import forms

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
        return data
