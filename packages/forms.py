from django import forms

from dids.models import Did

from .models import Package, PackageSubscription

INPUT = {"class": "form-control form-control-sm"}
SELECT = {"class": "form-select form-select-sm"}


class PackageForm(forms.ModelForm):
    class Meta:
        model = Package
        fields = ["name", "currency", "kind", "cost", "retail", "setup_cost", "setup_retail", "frequency",
                  "day_of_month", "minimum_days", "free_minutes", "destination_pattern", "minimum_spend"]
        widgets = {name: forms.TextInput(attrs=INPUT) for name in ("name", "currency", "destination_pattern")} | {
            name: forms.NumberInput(attrs=INPUT) for name in
            ("cost", "retail", "setup_cost", "setup_retail", "day_of_month", "minimum_days", "free_minutes",
             "minimum_spend")} | {"kind": forms.Select(attrs=SELECT), "frequency": forms.Select(attrs=SELECT)}


class PackageSubscriptionForm(forms.ModelForm):
    class Meta:
        model = PackageSubscription
        fields = ["package", "did", "quantity", "start", "end", "auto_decrement"]
        widgets = {"package": forms.Select(attrs=SELECT), "did": forms.Select(attrs=SELECT),
                   "quantity": forms.NumberInput(attrs=INPUT),
                   "start": forms.DateInput(attrs=INPUT | {"type": "date"}, format="%Y-%m-%d"),
                   "end": forms.DateInput(attrs=INPUT | {"type": "date"}, format="%Y-%m-%d"),
                   "auto_decrement": forms.CheckboxInput(attrs={"class": "form-check-input"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        customer = self.instance.customer
        self.fields["package"].queryset = Package.objects.filter(currency=customer.currency).order_by("name")
        self.fields["did"].queryset = Did.objects.filter(customer=customer).order_by("number")
