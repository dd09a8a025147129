from django import forms
from django.contrib.auth import get_user_model

from .models import Scope


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. “Kamailio edge 1”.")
    scopes = forms.MultipleChoiceField(choices=Scope.choices,
                                       widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
                                       help_text="Read: GET requests. Write: creating, changing and deleting. The "
                                                 "user's own permissions still apply.")
    expires_at = forms.DateTimeField(required=False, label="Expires",
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                     help_text="Blank for no expiry.")

    def __init__(self, *args, for_anyone=False, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if not isinstance(field.widget, forms.CheckboxSelectMultiple):
                field.widget.attrs.setdefault("class", "form-control form-control-sm")
        if for_anyone:
            self.fields["user"] = forms.ModelChoiceField(
                queryset=get_user_model().objects.filter(is_staff=True, is_active=True).order_by("username"),
                required=False, help_text="The staff member the token acts as; blank for yourself.",
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
            self.order_fields(["user", "name", "scopes", "expires_at"])
