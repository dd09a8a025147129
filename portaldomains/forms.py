import copy

from django import forms

from customers.models import PortalSection

from .models import PortalDomain, TopupMethod


class PortalDomainForm(forms.ModelForm):
    features = forms.MultipleChoiceField(choices=PortalSection.choices, required=False,
                                         widget=forms.CheckboxSelectMultiple,
                                         help_text="Portal sections offered at this address.")
    topup_methods = forms.MultipleChoiceField(choices=TopupMethod.choices, required=False,
                                              widget=forms.CheckboxSelectMultiple, label="Top-up methods")

    class Meta:
        model = PortalDomain
        fields = ["host", "display_name", "logo", "primary_colour", "accent_colour", "support_email",
                  "support_phone", "features", "topup_methods"]
        widgets = {"primary_colour": forms.TextInput(attrs={"type": "color"}),
                   "accent_colour": forms.TextInput(attrs={"type": "color"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxSelectMultiple):
                continue
            if field.widget.attrs.get("type") == "color":
                field.widget.attrs.setdefault("class", "form-control form-control-sm form-control-color")
            else:
                field.widget.attrs.setdefault("class", "form-control form-control-sm")


class PortalDomainSelect(forms.Select):
    """The customer form's Domain: a choice of Settings → Portal domains, read when the form renders."""

    def __init__(self, attrs=None):
        super().__init__(attrs={"class": "form-select form-select-sm", **(attrs or {})})

    @property
    def choices(self):
        return [("", "Main portal (no branded domain)")] + [
            (domain.host, str(domain)) for domain in PortalDomain.objects.only("host", "display_name")]

    @choices.setter
    def choices(self, value):
        pass

    def __deepcopy__(self, memo):
        # Forms copy their widgets when defined; the choices are read only when rendering.
        obj = copy.copy(self)
        obj.attrs = self.attrs.copy()
        memo[id(self)] = obj
        return obj
