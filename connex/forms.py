from django import forms

from connex.models import AccountOptions


class AccountOptionsForm(forms.ModelForm):
    """Settings → Options: the operator's identity, the internal number range and invoicing."""

    class Meta:
        model = AccountOptions
        fields = ["company_name", "company_address", "company_email", "company_logo", "number_range_start",
                  "block_size",
                  "invoice_number_prefix", "invoice_next_number", "invoice_line_grouping",
                  "invoice_empty_periods"]
        widgets = {"company_address": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "number_range_start": "First internal number handed out, e.g. 1000.",
            "block_size": "Numbers per block, e.g. 1000 gives 1000–1999, then 2000–2999. "
                          "Changing it never moves blocks already assigned.",
            "invoice_number_prefix": "Printed before the number, e.g. INV- gives INV-1042.",
            "invoice_next_number": "Given to the next invoice issued; numbers are never reused.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(field.widget, forms.Select):
                field.widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
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
        self._check_invoice_numbering(cleaned)
        return cleaned

    def _check_invoice_numbering(self, cleaned):
        """A next number at or below one already issued under the prefix would reuse it."""
        from invoicing.models import Invoice

        prefix, next_number = cleaned.get("invoice_number_prefix", ""), cleaned.get("invoice_next_number")
        if next_number is None:
            return
        used = [number[len(prefix):] for number in Invoice.objects.filter(number__startswith=prefix)
                .values_list("number", flat=True)]
        highest = max((int(rest) for rest in used if rest.isdigit()), default=0)
        if next_number <= highest:
            self.add_error("invoice_next_number",
                           f"{prefix}{highest} has been issued already; the next number must be above {highest}.")


def add_validation_errors(form, exc):
    """Show a service's ValidationError on the form: beside its field when the form has it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)
