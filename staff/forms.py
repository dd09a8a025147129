from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from .roles import EXCLUDED_APPS


class StaffUserForm(forms.ModelForm):
    groups = forms.ModelMultipleChoiceField(queryset=Group.objects.order_by("name"), required=False,
                                            widget=forms.CheckboxSelectMultiple, label="Roles")

    class Meta:
        model = get_user_model()
        fields = ["username", "first_name", "last_name", "email", "is_active"]
        labels = {"is_active": "Active (may sign in)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name not in ("is_active", "groups"):
                field.widget.attrs.setdefault("class", "form-control form-control-sm")
        if self.instance.pk:
            self.initial["groups"] = list(self.instance.groups.all())


class RolePermissionsForm(forms.Form):
    only_my_customers = forms.BooleanField(
        required=False, label="Only my customers",
        help_text="Members see only the customers they are the account manager of.")
    permissions = forms.ModelMultipleChoiceField(queryset=Permission.objects.none(), required=False,
                                                 widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, group, **kwargs):
        super().__init__(*args, **kwargs)
        queryset = (Permission.objects.select_related("content_type").exclude(content_type__app_label__in=EXCLUDED_APPS)
                    .exclude(content_type__model__endswith="event").exclude(codename="view_all_customers")
                    .order_by("content_type__app_label", "content_type__model", "codename"))
        self.fields["permissions"].queryset = queryset
        held = set(group.permissions.values_list("pk", flat=True))
        self.initial.setdefault("permissions", [p for p in queryset if p.pk in held])
        self.initial.setdefault("only_my_customers", not group.permissions.filter(codename="view_all_customers").exists())

    def grouped(self):
        """Checkboxes grouped by app, for a compact page."""
        chosen = {str(v) for v in (self["permissions"].value() or [])}
        sections = {}
        for permission in self.fields["permissions"].queryset:
            sections.setdefault(permission.content_type.app_label, []).append(
                {"pk": permission.pk, "name": permission.name, "codename": permission.codename,
                 "checked": str(permission.pk) in chosen})
        return sorted(sections.items())
