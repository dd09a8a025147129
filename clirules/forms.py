from django import forms

from .models import CliRule


class CliRuleForm(forms.ModelForm):
    """A rule's patterns and actions; its place in the order is set by moving it up or down."""

    class Meta:
        model = CliRule
        fields = ["cli_pattern", "pai_pattern", "dialed_pattern", "direction", "rewrite_cli", "rewrite_pai", "forced"]
        help_texts = {
            "cli_pattern": r"Regular expression searched in the CLI (digits, + or 00 removed), e.g. ^0(\d{10})$; "
                           "empty matches any. Anonymous callers are matched by their P-Asserted-ID.",
            "pai_pattern": "Regular expression searched in the P-Asserted-ID; empty matches any.",
            "dialed_pattern": "Regular expression searched in the dialed number (after the tech prefix), e.g. ^44.",
            "direction": "Any, or only calls in this direction.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")
                widget.attrs.setdefault("spellcheck", "false")
