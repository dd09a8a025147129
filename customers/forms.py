from django import forms
from django.contrib.auth import get_user_model
from django.db.models.functions import Lower

from connex.iso import country_choices, currency_choices

from .models import (
    AllowedWindow,
    Customer,
    CustomerDefaults,
    PortalSection,
    ResellerGroup,
    Tag,
    timezone_choices,
)

TABS = [
    ("basic", "Basic", ["name", "channels", "flow_speed", "status", "debit_limit", "minimum_payment",
                        "topup_currencies", "tax_percent", "currency"]),
    ("config", "Config", ["paypal_email", "website", "p_asserted_id", "portal_access", "tag_names", "vars",
                          "reseller", "account_manager", "invoice_schedule", "create_invoice_on_payment",
                          "invoice_due_days", "invoice_template", "external_accounting_id", "rtp_firewall",
                          "recording_retention_days", "domain", "daily_spend_limit",
                          "stir_shaken_attestation"]),
    ("address", "Address", ["address_line1", "address_line2", "city", "region", "postcode", "country"]),
    ("verification", "Verification", ["approved_clis_only", "email_verification_required",
                                      "mobile_verification_required"]),
    ("notes", "Notes", ["notes"]),
    ("daytime", "Day/Time Restrict", ["timezone"]),
]


class CustomerForm(forms.ModelForm):
    tag_names = forms.CharField(label="Tags", required=False,
                                help_text="Comma-separated; new tags are created.",
                                widget=forms.TextInput(attrs={"list": "tag-suggestions"}))
    topup_currencies = forms.MultipleChoiceField(label="Restrict top-up currencies", required=False,
                                                 choices=currency_choices(),
                                                 widget=forms.SelectMultiple(attrs={
                                                     "class": "form-select cx-multiselect",
                                                     "data-placeholder": "Type a code or name…"}),
                                                 help_text="Other currencies accepted for top-ups.")
    portal_access = forms.MultipleChoiceField(choices=PortalSection.choices, required=False,
                                              widget=forms.CheckboxSelectMultiple,
                                              help_text="Sections shown in the customer portal.")
    timezone = forms.ChoiceField(choices=timezone_choices, initial="UTC")
    website = forms.URLField(required=False, assume_scheme="https")
    currency = forms.ChoiceField(choices=currency_choices(), help_text="Fixed once the customer exists.")
    country = forms.ChoiceField(choices=[("", "—"), *country_choices()], required=False)

    class Meta:
        model = Customer
        fields = [name for _, _, names in TABS for name in names if name != "tag_names"]
        widgets = {
            "vars": forms.Textarea(attrs={"rows": 6, "class": "font-monospace", "spellcheck": "false"}),
            "notes": forms.Textarea(attrs={"rows": 8}),
            "domain": forms.TextInput(attrs={"placeholder": "portal.example.com"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account_manager"].queryset = get_user_model().objects.filter(is_staff=True).order_by("username")
        self.fields["account_manager"].label_from_instance = lambda u: u.get_full_name() or u.get_username()
        self.fields["reseller"].queryset = ResellerGroup.objects.all()
        if self.instance.pk:
            self.fields["currency"].disabled = True
            self.fields["currency"].help_text = "The account currency cannot change after creation."
            self.initial["tag_names"] = ", ".join(tag.name for tag in self.instance.tags.all())
        else:
            self.initial.setdefault("portal_access", [s.value for s in PortalSection])
            # The currency can never change later, so it is a deliberate choice or the company's default;
            # limits start from Settings → New customers (0 would refuse every call).
            defaults = CustomerDefaults.get()
            self.fields["currency"].choices = [("", "— choose the account currency —"), *currency_choices()]
            self.fields["currency"].help_text = "Fixed once the customer exists."
            self.initial.update(currency=defaults.currency, channels=defaults.channels,
                                flow_speed=defaults.flow_speed)
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.CheckboxSelectMultiple):
                continue
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs["class"] = (widget.attrs.get("class", "") + " form-control").strip()
            if name in self.errors:
                widget.attrs["class"] += " is-invalid"

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean_tag_names(self):
        names = [part.strip() for part in self.cleaned_data.get("tag_names", "").split(",")]
        names = [name for name in names if name]
        too_long = [name for name in names if len(name) > 50]
        if too_long:
            raise forms.ValidationError(f"Tags are at most 50 characters: {', '.join(too_long)}")
        unique = {}
        for name in names:
            unique.setdefault(name.lower(), name)
        return list(unique.values())

    def tags_to_set(self):
        """Existing tags matched case-insensitively; missing ones are created."""
        names = self.cleaned_data.get("tag_names", [])
        existing = {tag.name.lower(): tag for tag in Tag.objects.annotate(lname=Lower("name"))
                    .filter(lname__in=[n.lower() for n in names])}
        return [existing.get(name.lower()) or Tag.objects.create(name=name) for name in names]

    def tabs(self):
        """The form's fields grouped by tab, with whether the tab holds an error."""
        errors = set(self.errors)
        return [
            {"key": key, "label": label, "fields": [self[name] for name in names],
             "has_error": bool(errors.intersection(names))}
            for key, label, names in TABS
        ]


class AllowedWindowForm(forms.ModelForm):
    class Meta:
        model = AllowedWindow
        fields = ["start", "end"]
        widgets = {
            "start": forms.TimeInput(attrs={"type": "time", "class": "form-control form-control-sm"}, format="%H:%M"),
            "end": forms.TimeInput(attrs={"type": "time", "class": "form-control form-control-sm"}, format="%H:%M"),
        }


AllowedWindowFormSet = forms.inlineformset_factory(
    Customer, AllowedWindow, form=AllowedWindowForm, extra=1, can_delete=True,
)


class CustomerImportForm(forms.Form):
    file = forms.FileField(label="CSV or XLSX file", allow_empty_file=True, widget=forms.ClearableFileInput(
        attrs={"class": "form-control form-control-sm", "accept": ".csv,.xlsx,text/csv"}))
    update_existing = forms.BooleanField(
        required=False, label="Update existing customers",
        help_text="Rows whose id or name matches a customer update it; otherwise an existing name is an error.",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))


class CustomerBulkEditForm(forms.Form):
    """Each editable field comes with a tick; only ticked fields change."""

    add_tags = forms.CharField(required=False, label="Add tags", help_text="Comma-separated; new tags are created.")
    remove_tags = forms.CharField(required=False, label="Remove tags", help_text="Comma-separated.")

    def __init__(self, *args, **kwargs):
        from .services import BULK_EDIT_FIELDS

        super().__init__(*args, **kwargs)
        model_fields = forms.fields_for_model(Customer, fields=BULK_EDIT_FIELDS)
        model_fields["portal_access"] = forms.MultipleChoiceField(
            choices=PortalSection.choices, required=False, widget=forms.CheckboxSelectMultiple,
            label="Portal access")
        model_fields["account_manager"].queryset = get_user_model().objects.filter(is_staff=True).order_by("username")
        model_fields["account_manager"].label_from_instance = lambda u: u.get_full_name() or u.get_username()
        model_fields["reseller"].queryset = ResellerGroup.objects.all()
        self.editable = []
        for name in BULK_EDIT_FIELDS:
            field = model_fields[name]
            field.required = False
            widget = field.widget
            if isinstance(widget, forms.Select):
                widget.attrs["class"] = "form-select form-select-sm"
            elif not isinstance(widget, forms.CheckboxSelectMultiple):
                widget.attrs["class"] = "form-control form-control-sm"
            self.fields[name] = field
            self.fields[f"change_{name}"] = forms.BooleanField(
                required=False, label=f"Change {field.label.lower()}",
                widget=forms.CheckboxInput(attrs={"class": "form-check-input", "data-bulk-tick": name}))
            self.editable.append(name)
        for name in ("add_tags", "remove_tags"):
            self.fields[name].widget.attrs["class"] = "form-control form-control-sm"

    def rows(self):
        return [{"tick": self[f"change_{name}"], "field": self[name]} for name in self.editable]

    def clean(self):
        cleaned = super().clean()
        for name in self.editable:
            if not cleaned.get(f"change_{name}"):
                self.errors.pop(name, None)  # an unticked field is ignored, whatever it holds
                continue
            value = cleaned.get(name)
            model_field = Customer._meta.get_field(name)
            if value in (None, "") and not model_field.null and not model_field.blank:
                self.add_error(name, "Enter a value, or untick this field to leave it unchanged.")
        return cleaned

    def _tag_list(self, name):
        parts = [p.strip() for p in self.cleaned_data.get(name, "").split(",")]
        return list({p.lower(): p for p in parts if p}.values())

    def clean_add_tags(self):
        tags = self._tag_list("add_tags")
        too_long = [t for t in tags if len(t) > 50]
        if too_long:
            raise forms.ValidationError(f"Tags are at most 50 characters: {', '.join(too_long)}")
        return ", ".join(tags)

    def changes(self):
        """(values, add_tags, remove_tags) from the ticked fields."""
        values = {name: self.cleaned_data.get(name) for name in self.editable
                  if self.cleaned_data.get(f"change_{name}")}
        if "portal_access" in values:
            values["portal_access"] = list(values["portal_access"] or [])
        return values, self._tag_list("add_tags"), self._tag_list("remove_tags")

    def has_changes(self):
        values, add, remove = self.changes()
        return bool(values or add or remove)


class CustomerDefaultsForm(forms.ModelForm):
    currency = forms.ChoiceField(choices=[("", "— none: staff choose each time —"), *currency_choices()],
                                 required=False, widget=forms.Select(attrs={"class": "form-select"}),
                                 help_text="Preselected for new customers. A customer's currency never changes.")

    class Meta:
        model = CustomerDefaults
        fields = ["currency", "channels", "flow_speed"]
        widgets = {"channels": forms.NumberInput(attrs={"class": "form-control"}),
                   "flow_speed": forms.NumberInput(attrs={"class": "form-control"})}


class DelayForm(forms.Form):
    """When to apply a delayed change, entered in the staff member's timezone."""

    due_at = forms.DateTimeField(label="Apply at", input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                 widget=forms.DateTimeInput(attrs={"type": "datetime-local",
                                                                   "class": "form-control form-control-sm"},
                                                            format="%Y-%m-%dT%H:%M"))
