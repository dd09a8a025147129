import re

from django import forms

from connex.forms import OptionsForm, panel_widgets

from . import services
from .models import Alert, AlertOptions

SPLIT = re.compile(r"\s*[,;\n]\s*")


class RecipientsField(forms.CharField):
    """Emails and mobiles typed as text, separated by commas, semicolons or new lines."""

    def to_python(self, value):
        value = super().to_python(value)
        return [item.strip() for item in SPLIT.split(value or "") if item.strip()]

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value


class AlertForm(forms.ModelForm):
    recipients = RecipientsField(required=False, help_text=Alert._meta.get_field("recipients").help_text)

    class Meta:
        model = Alert
        fields = ["title", "enabled", "area", "operator", "threshold", "reset_threshold", "sample_hours",
                  "min_attempts", "repeat_minutes", "penalty", "penalty_lift_on_reset", "recipients", "subject",
                  "message"]
        widgets = {"message": forms.Textarea(attrs={"rows": 4}),
                   "recipients": forms.TextInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        panel_widgets(self)
        names = ", ".join("{{ " + name + " }}" for name, _ in services.ALERT_FIELDS)
        self.fields["message"].help_text = f"Merge fields: {names}, and the customer's as in broadcasts."


class AlertOptionsForm(OptionsForm):
    """Settings → Alerts."""

    class Meta:
        model = AlertOptions
        fields = ["low_balance_enabled", "low_balance_title", "low_balance_threshold", "low_balance_reset",
                  "low_balance_repeat_minutes", "low_balance_subject", "low_balance_message"]
        widgets = {"low_balance_message": forms.Textarea(attrs={"rows": 5})}

    def clean(self):
        cleaned = super().clean()
        try:
            services.templates_check(subject=cleaned.get("low_balance_subject", ""),
                                     message=cleaned.get("low_balance_message", ""))
        except forms.ValidationError as exc:
            for name, errors in exc.message_dict.items():
                self.add_error(f"low_balance_{name}", errors)
        return cleaned

    def save(self, commit=True):
        options = super().save(commit=commit)
        if commit:
            from django.db import transaction

            from .tasks import default_alerts_sync_task

            # 100,000 customers take a second or two: done by the worker, not the request.
            transaction.on_commit(lambda: default_alerts_sync_task.delay())
        return options
