from decimal import Decimal

from django import forms

from connex.forms import OptionsForm
from summaries.periods import Period

from .models import Invoice, InvoiceTemplate, InvoicingOptions, Payment

TEXT = {"class": "form-control form-control-sm"}
SELECT = {"class": "form-select form-select-sm"}


class LineForm(forms.Form):
    description = forms.CharField(max_length=200, widget=forms.TextInput(attrs={**TEXT, "placeholder": "Description"}))
    quantity = forms.DecimalField(label="Minutes", max_digits=16, decimal_places=2, min_value=Decimal("0"),
                                  widget=forms.NumberInput(attrs={**TEXT, "step": "0.01", "placeholder": "Minutes"}))
    amount = forms.DecimalField(max_digits=18, decimal_places=2,
                                widget=forms.NumberInput(attrs={**TEXT, "step": "0.01", "placeholder": "Amount"}))
    reason = forms.CharField(max_length=300, widget=forms.TextInput(attrs={**TEXT, "placeholder": "Reason"}))


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.TextInput(attrs=TEXT))


class DraftForm(forms.Form):
    """A draft for the day, week (Monday–Sunday) or month that contains the chosen date."""

    kind = forms.ChoiceField(label="Period", choices=[("monthly", "Month"), ("weekly", "Week"), ("daily", "Day")],
                             widget=forms.Select(attrs={**SELECT, "aria-label": "Period length"}))
    day = forms.DateField(label="Containing", widget=forms.DateInput(
        attrs={**TEXT, "type": "date", "aria-label": "A day in the period"}),
        error_messages={"required": "Pick a day in the period.", "invalid": "Enter a date as YYYY-MM-DD."})

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") and cleaned.get("day"):
            cleaned["period"] = Period.containing(cleaned["kind"], cleaned["day"])
        return cleaned


class PaymentForm(forms.Form):
    description = forms.CharField(max_length=200, required=False, widget=forms.TextInput(attrs=TEXT))
    amount = forms.DecimalField(max_digits=18, decimal_places=2, widget=forms.NumberInput(attrs={**TEXT, "step": "0.01"}))
    currency = forms.ChoiceField(widget=forms.Select(attrs=SELECT))
    exchange_rate = forms.DecimalField(max_digits=18, decimal_places=8, required=False,
                                       widget=forms.NumberInput(attrs={**TEXT, "step": "any"}),
                                       help_text="Account-currency units per unit of a foreign currency.")
    method = forms.ChoiceField(choices=Payment.Method.choices, widget=forms.Select(attrs=SELECT))
    status = forms.ChoiceField(choices=Payment.Status.choices, widget=forms.Select(attrs=SELECT))

    def __init__(self, *args, customer, invoices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.fields["currency"].choices = [(c, c) for c in [customer.currency, *(customer.topup_currencies or [])]]
        self.invoices = list(invoices)
        for invoice in self.invoices:
            self.fields[f"allocate_{invoice.pk}"] = forms.DecimalField(
                label=f"{invoice} (outstanding {invoice.outstanding:,.2f})", required=False, max_digits=18,
                decimal_places=2, min_value=Decimal("0"), widget=forms.NumberInput(attrs={**TEXT, "step": "0.01"}))

    def allocation_fields(self):
        return [self[f"allocate_{invoice.pk}"] for invoice in self.invoices]

    def allocations(self):
        return [(invoice, self.cleaned_data.get(f"allocate_{invoice.pk}")) for invoice in self.invoices
                if self.cleaned_data.get(f"allocate_{invoice.pk}")]


class InvoiceTemplateForm(forms.ModelForm):
    class Meta:
        model = InvoiceTemplate
        fields = ["name", "is_default", "html", "css"]
        widgets = {
            "name": forms.TextInput(attrs=TEXT),
            "html": forms.Textarea(attrs={"class": "form-control form-control-sm font-monospace", "rows": 22,
                                          "spellcheck": "false"}),
            "css": forms.Textarea(attrs={"class": "form-control form-control-sm font-monospace", "rows": 12,
                                         "spellcheck": "false"}),
        }
        labels = {"is_default": "Default template", "html": "HTML", "css": "CSS"}


class InvoicingOptionsForm(OptionsForm):
    """Settings → Invoicing."""

    class Meta:
        model = InvoicingOptions
        fields = ["invoice_number_prefix", "invoice_next_number", "invoice_line_grouping", "invoice_empty_periods"]
        help_texts = {
            "invoice_number_prefix": "Printed before the number, e.g. INV- gives INV-1042.",
            "invoice_next_number": "Given to the next invoice issued; numbers are never reused.",
        }

    def clean(self):
        cleaned = super().clean()
        # A next number at or below one already issued under the prefix would reuse it.
        prefix, next_number = cleaned.get("invoice_number_prefix", ""), cleaned.get("invoice_next_number")
        if next_number is None:
            return cleaned
        used = [number[len(prefix):] for number in Invoice.objects.filter(number__startswith=prefix)
                .values_list("number", flat=True)]
        highest = max((int(rest) for rest in used if rest.isdigit()), default=0)
        if next_number <= highest:
            self.add_error("invoice_next_number",
                           f"{prefix}{highest} has been issued already; the next number must be above {highest}.")
        return cleaned
