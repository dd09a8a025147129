from django import forms

from connex.models import AccountOptions


def panel_widgets(form):
    """Gives a form's widgets the panel's compact Bootstrap classes (where none is set)."""
    for field in form.fields.values():
        if isinstance(field.widget, forms.CheckboxInput):
            field.widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(field.widget, forms.Select):
            field.widget.attrs.setdefault("class", "form-select form-select-sm")
        else:
            field.widget.attrs.setdefault("class", "form-control form-control-sm")


class OptionsForm(forms.ModelForm):
    """Base of every settings page's form (Settings → …): one single-row model, panel widgets."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        panel_widgets(self)


class AccountOptionsForm(OptionsForm):
    """Settings → Company: the operator's identity."""

    class Meta:
        model = AccountOptions
        fields = ["company_name", "company_address", "company_email", "company_logo"]
        widgets = {"company_address": forms.Textarea(attrs={"rows": 3})}


def add_validation_errors(form, exc):
    """Show a service's ValidationError on the form: beside its field when the form has it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)
