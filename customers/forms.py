import json
from datetime import time

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.postgres.fields import ArrayField
from django.db import models

from connex.iso import country_choices, currency_choices
from portaldomains.forms import PortalDomainSelect

from .models import (
    Customer,
    CustomerDefaults,
    PortalSection,
    ResellerGroup,
    list_split,
    tag_names_parse,
    timezone_choices,
    week_coverage,
    week_windows,
)

# How a customer's fields are read from text, in the form and in a bulk upload alike: the upload
# cleans each cell with the form's field of that column.
TRUE_WORDS = {"1", "true", "t", "yes", "y", "on"}
FALSE_WORDS = {"0", "false", "f", "no", "n", "off", ""}


def _flat_choices(choices):
    for key, label in choices:
        if isinstance(label, list | tuple):
            yield from _flat_choices(label)
        else:
            yield key, label


def _choice_lookup(field):
    """Lower-cased value or label -> value, built once per field."""
    if getattr(field, "_lookup_for", None) is not field.choices:
        lookup = {}
        for key, _label in _flat_choices(field.choices):
            lookup.setdefault(str(key).lower(), key)
        for key, label in _flat_choices(field.choices):
            lookup.setdefault(str(label).lower(), key)
        field._lookup, field._lookup_for = lookup, field.choices
    return field._lookup


class YesNoField(forms.BooleanField):
    """A tick box in the panel; in a file, yes/no, true/false, on/off or 1/0 (blank is no)."""

    def to_python(self, value):
        if isinstance(value, str):
            word = value.strip().lower()
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
            raise forms.ValidationError("“%(value)s” is not yes/no (use yes, no, true, false, 1 or 0).",
                                        code="invalid", params={"value": value})
        return bool(value)


class LabelledChoiceField(forms.TypedChoiceField):
    """One choice, given by its value or its label in any case ("Active", "active", "gb", "usd")."""

    def to_python(self, value):
        value = super().to_python(value).strip()
        return _choice_lookup(self).get(value.lower(), value) if value else value

    def validate(self, value):
        try:
            super().validate(value)
        except forms.ValidationError as exc:
            values = [str(key) for key, _ in _flat_choices(self.choices) if key != ""]
            if exc.code == "invalid_choice" and "invalid_choice" not in self._declared_messages and len(values) <= 10:
                raise forms.ValidationError(f"“{value}” is not one of: {', '.join(values)}.", code="invalid_choice")
            raise

    def __init__(self, *args, error_messages=None, **kwargs):
        self._declared_messages = dict(error_messages or {})
        super().__init__(*args, error_messages=error_messages, **kwargs)


class SeparatedChoicesField(forms.MultipleChoiceField):
    """Several choices: ticked boxes in the panel; in a file, values separated by commas or semicolons."""

    def to_python(self, value):
        if isinstance(value, str):
            value = list_split(value)
        lookup = _choice_lookup(self)
        return list(dict.fromkeys(lookup.get(str(item).strip().lower(), str(item).strip())
                                  for item in super().to_python(value)))


class TagNamesField(forms.CharField):
    """Tags as one line of text, parsed by the one tag-list rule (tag_names_parse)."""

    def clean(self, value):
        return tag_names_parse(super().clean(value))


def customer_formfield(model_field, **kwargs):
    """Form fields of the customer's model fields, with the readings above."""
    if model_field.choices and not isinstance(model_field, ArrayField):
        kwargs.setdefault("choices_form_class", LabelledChoiceField)
    elif isinstance(model_field, models.BooleanField):
        kwargs.setdefault("form_class", YesNoField)
    return model_field.formfield(**kwargs)

class WeekWindowsField(forms.CharField):
    """Allowed calling windows as drawn on the week grid: JSON [[weekday 0-6, "HH:MM", "HH:MM"], ...].

    Cleans to [(weekday, start, end)]; an end of 24:00 or 00:00 is midnight. Two values draw the
    same week when they cover the same minutes, whatever their rows.
    """

    widget = forms.HiddenInput

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return json.dumps([[day, f"{start:%H:%M}", f"{end:%H:%M}"] for day, start, end in value])
        return value

    @staticmethod
    def _time(text):
        hours, _, minutes = str(text).partition(":")
        hours, minutes = int(hours), int(minutes)
        if hours == 24 and minutes == 0:
            return time(0)
        return time(hours, minutes)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return []
        try:
            rows = json.loads(value)
            windows = []
            for day, start, end in rows:
                if day is not None and (not isinstance(day, int) or not 0 <= day <= 6):
                    raise ValueError(day)
                windows.append((day, self._time(start), self._time(end)))
        except (ValueError, TypeError):
            raise forms.ValidationError("The allowed windows could not be read; draw them again on the grid.",
                                        code="invalid") from None
        return windows

    def has_changed(self, initial, data):
        try:
            return week_coverage(self.to_python(self.prepare_value(initial))) != week_coverage(self.to_python(data))
        except forms.ValidationError:
            return True


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
    tag_names = TagNamesField(label="Tags", required=False,
                              help_text="Comma-separated; new tags are created.",
                              widget=forms.TextInput(attrs={"list": "tag-suggestions"}))
    topup_currencies = SeparatedChoicesField(
        label="Restrict top-up currencies", required=False, choices=currency_choices(),
        widget=forms.SelectMultiple(attrs={"class": "form-select cx-multiselect",
                                           "data-placeholder": "Type a code or name…"}),
        help_text="Other currencies accepted for top-ups.",
        error_messages={"invalid_choice": "“%(value)s” is not an ISO 4217 currency code."})
    portal_access = SeparatedChoicesField(
        choices=PortalSection.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Sections shown in the customer portal.",
        error_messages={"invalid_choice": "Unknown portal section: %(value)s. Use "
                                          + ", ".join(sorted(PortalSection.values)) + "."})
    timezone = LabelledChoiceField(choices=timezone_choices, initial="UTC", error_messages={
        "invalid_choice": "“%(value)s” is not an IANA timezone name (e.g. Europe/London)."})
    website = forms.URLField(required=False, assume_scheme="https")
    currency = LabelledChoiceField(choices=currency_choices(), help_text="Fixed once the customer exists.",
                                   error_messages={"invalid_choice": "“%(value)s” is not an ISO 4217 currency code."})
    country = LabelledChoiceField(choices=[("", "—"), *country_choices()], required=False,
                                  error_messages={"invalid_choice": "“%(value)s” is not an ISO 3166 country code."})

    class Meta:
        model = Customer
        formfield_callback = customer_formfield
        fields = [name for _, _, names in TABS for name in names if name != "tag_names"]
        widgets = {
            "vars": forms.Textarea(attrs={"rows": 6, "class": "font-monospace", "spellcheck": "false"}),
            "notes": forms.Textarea(attrs={"rows": 8}),
            "domain": PortalDomainSelect(),
        }

    def __init__(self, *args, with_windows=False, **kwargs):
        super().__init__(*args, **kwargs)
        # The panel's form draws the allowed windows too; the import reads only the other fields.
        if with_windows:
            self.fields["windows"] = WeekWindowsField(required=False, label="Allowed calling windows")
            if self.instance.pk:
                self.initial["windows"] = week_windows(week_coverage(
                    (w.weekday, w.start, w.end) for w in self.instance.allowed_windows.all()))
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

    def tags_to_set(self):
        """Existing tags matched case-insensitively; missing ones are created."""
        from .services import tag_get_or_create

        return tag_get_or_create(names=self.cleaned_data.get("tag_names", []))

    def windows_to_set(self):
        """[(weekday, start, end)] to store when the grid changed, else None (the windows stay)."""
        if "windows" not in self.fields or "windows" not in self.changed_data:
            return None
        return week_windows(week_coverage(self.cleaned_data["windows"]))

    def tabs(self):
        """The form's fields grouped by tab, with whether the tab holds an error."""
        errors = set(self.errors)
        if "windows" in errors:
            errors.add("timezone")  # the Day/Time Restrict tab holds the windows' grid
        return [
            {"key": key, "label": label, "fields": [self[name] for name in names],
             "has_error": bool(errors.intersection(names))}
            for key, label, names in TABS
        ]


class CustomerImportForm(forms.Form):
    file = forms.FileField(label="CSV or XLSX file", allow_empty_file=True, widget=forms.ClearableFileInput(
        attrs={"class": "form-control form-control-sm", "accept": ".csv,.xlsx,text/csv"}))
    update_existing = forms.BooleanField(
        required=False, label="Update existing customers",
        help_text="Rows whose id or name matches a customer update it; otherwise an existing name is an error.",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))


class CustomerBulkEditForm(forms.Form):
    """Each editable field comes with a tick; only ticked fields change."""

    add_tags = TagNamesField(required=False, label="Add tags", help_text="Comma-separated; new tags are created.")
    remove_tags = TagNamesField(required=False, label="Remove tags", help_text="Comma-separated.")

    def __init__(self, *args, **kwargs):
        from .services import BULK_EDIT_FIELDS

        super().__init__(*args, **kwargs)
        model_fields = forms.fields_for_model(Customer, fields=BULK_EDIT_FIELDS, formfield_callback=customer_formfield)
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
        return [{"tick": self[f"change_{name}"], "field": self[name]} for name in self.editable] + [
            {"tick": None, "field": self["add_tags"]}, {"tick": None, "field": self["remove_tags"]}]

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

    def changes(self):
        """(values, add_tags, remove_tags) from the ticked fields."""
        values = {name: self.cleaned_data.get(name) for name in self.editable
                  if self.cleaned_data.get(f"change_{name}")}
        if "portal_access" in values:
            values["portal_access"] = list(values["portal_access"] or [])
        return values, self.cleaned_data.get("add_tags") or [], self.cleaned_data.get("remove_tags") or []

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
