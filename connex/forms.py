from django import forms

from connex.models import AccountOptions


class AccountOptionsForm(forms.ModelForm):
    """Settings → Options: the operator's identity and the internal number range."""

    class Meta:
        model = AccountOptions
        fields = ["company_name", "company_address", "company_email", "number_range_start", "block_size"]
        widgets = {"company_address": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "number_range_start": "First internal number handed out, e.g. 1000.",
            "block_size": "Numbers per block, e.g. 1000 gives 1000–1999, then 2000–2999. "
                          "Changing it never moves blocks already assigned.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control form-control-sm")
        self.fields["block_size"].min_value = 1
        self.fields["block_size"].widget.attrs["min"] = 1

    def clean(self):
        cleaned = super().clean()
        start, size = cleaned.get("number_range_start"), cleaned.get("block_size")
        if (start is None) != (size is None):
            missing = "block_size" if size is None else "number_range_start"
            self.add_error(missing, "Set both Number Range Start and Block Size, or neither.")
        elif size is not None and size < 1:
            self.add_error("block_size", "Block size must be at least 1.")
        elif start is not None and start + size - 1 > 2**31 - 1:
            self.add_error("block_size", "The first block would end above 2147483647.")
        return cleaned
