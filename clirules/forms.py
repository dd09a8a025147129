from django import forms

from connex.forms import panel_widgets

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
        panel_widgets(self)
        for field in self.fields.values():
            if not isinstance(field.widget, forms.CheckboxInput | forms.Select):
                field.widget.attrs.setdefault("spellcheck", "false")  # patterns, not prose
