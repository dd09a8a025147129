"""Generic views shared by every app: filtered, sortable, exportable tables with chosen columns."""

import json

from django import forms
from django.contrib import messages
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.views import View
from django.views.generic import TemplateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.export import ExportMixin

from connex.forms import AccountOptionsForm
from connex.models import AccountOptions, StaffPreference
from connex.permissions import SIGNED_IN, PermissionRequiredMixin
from connex.registry import registry

PER_PAGE_CHOICES = (25, 50, 100, 250)


class ObjectListView(PermissionRequiredMixin, ExportMixin, SingleTableMixin, FilterView):
    """A list page: declare `queryset`, `table_class`, `filterset_class`, and it is done.

    Adds a free-text search (`q`, through the queryset's `search()`), per-page choice,
    CSV export of the whole filtered table (`?_export=csv`), and each staff member's own
    choice and order of columns (saved by TableColumnsView under the table's `preference_key`).
    """

    template_name = "connex/object_list.html"
    export_formats = ("csv",)
    table_per_page = 50
    title = ""
    search_placeholder = "Search"

    def get_queryset(self):
        queryset = super().get_queryset()
        query = self.request.GET.get("q", "").strip()
        if query and hasattr(queryset, "search"):
            queryset = queryset.search(query)
        return queryset

    def get_table_pagination(self, table):
        # Only the table paginates (ListView's own pagination would count the rows a second time).
        try:
            per_page = int(self.request.GET.get("per_page", self.table_per_page))
        except ValueError:
            per_page = self.table_per_page
        return {"per_page": per_page if per_page in PER_PAGE_CHOICES else self.table_per_page}

    def get_export_filename(self, export_format):
        return f"{self.table_class.preference_key}.{export_format}"

    def chosen_columns(self):
        if not hasattr(self, "_chosen_columns"):
            key = self.table_class.preference_key
            preference = StaffPreference.objects.filter(user=self.request.user).first()
            self._chosen_columns = (preference.table_columns.get(key) if preference else None) or list(
                self.table_class.default_columns)
        return self._chosen_columns

    def get_table_kwargs(self):
        chosen = [name for name in self.chosen_columns() if name in self.table_class.base_columns]
        fixed = list(self.table_class.fixed_columns)
        if self.request.GET.get("_export"):
            fixed = [name for name in fixed if name != "selection"]
        shown = fixed + [name for name in chosen if name not in fixed]
        hidden = [name for name in self.table_class.base_columns if name not in shown]
        if self.request.GET.get("_export"):
            hidden.append("selection")
        return {"exclude": tuple(hidden), "sequence": tuple(shown) + ("...",)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        table_class = self.table_class
        chosen = self.chosen_columns()
        optional = [name for name in table_class.base_columns if name not in table_class.fixed_columns]
        ordered = [name for name in chosen if name in optional] + [n for n in optional if n not in chosen]
        context.update(
            title=self.title,
            search_placeholder=self.search_placeholder,
            query=self.request.GET.get("q", ""),
            per_page_choices=PER_PAGE_CHOICES,
            column_choices=[
                {"name": name, "label": table_class.base_columns[name].header or name, "shown": name in chosen}
                for name in ordered
            ],
            preference_key=table_class.preference_key,
            filtered_count=context["table"].paginator.count if context["table"].page else None,
        )
        return context

    def get_template_names(self):
        if self.request.htmx and self.request.htmx.target == "object-table":
            return ["connex/partials/table_block.html"]
        return super().get_template_names()


class TableColumnsView(PermissionRequiredMixin, View):
    """Saves the columns a staff member chose, in order, for one table."""

    permission_required = SIGNED_IN

    def post(self, request, table):
        try:
            columns = json.loads(request.body or b"[]") if request.content_type == "application/json" else \
                request.POST.getlist("columns")
        except ValueError:
            return HttpResponseBadRequest("Columns must be a JSON list of names.")
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            return HttpResponseBadRequest("Columns must be a list of names.")
        preference = StaffPreference.for_user(request.user)
        if columns:
            preference.table_columns[table] = columns
        else:
            preference.table_columns.pop(table, None)
        preference.save(update_fields=["table_columns"])
        return JsonResponse({"table": table, "columns": columns})


class SettingsIndexView(PermissionRequiredMixin, TemplateView):
    """Settings: the sections this staff member may open."""

    template_name = "connex/settings_index.html"
    permission_required = SIGNED_IN

    def get_context_data(self, **kwargs):
        user = self.request.user
        sections = [s for s in registry.settings_sections if s.permission is None or user.has_perm(s.permission)]
        return super().get_context_data(sections=sections, **kwargs)


class AccountOptionsView(PermissionRequiredMixin, View):
    """Settings → Options; saving is audited through AccountOptions' change history."""

    permission_required = "connex.change_accountoptions"

    template_name = "connex/options.html"

    def get(self, request):
        return render(request, self.template_name, {"form": AccountOptionsForm(instance=AccountOptions.get())})

    def post(self, request):
        form = AccountOptionsForm(request.POST, instance=AccountOptions.get())
        if form.is_valid():
            form.save()
            messages.success(request, "Options saved.")
            return redirect("options")
        return render(request, self.template_name, {"form": form}, status=422)
class PreferencesView(PermissionRequiredMixin, View):
    """A staff member's own settings: the timezone dates are shown and entered in."""

    permission_required = SIGNED_IN

    template_name = "connex/preferences.html"

    def get(self, request):
        preference = StaffPreference.for_user(request.user)
        return render(request, self.template_name, {"form": PreferenceForm(instance=preference)})

    def post(self, request):
        preference = StaffPreference.for_user(request.user)
        form = PreferenceForm(request.POST, instance=preference)
        if form.is_valid():
            form.save()
            messages.success(request, f"Times are now shown in {preference.timezone}.")
            return redirect("preferences")
        return render(request, self.template_name, {"form": form}, status=422)


class PreferenceForm(forms.ModelForm):
    timezone = forms.ChoiceField(label="Your timezone", widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
                                 help_text="Dates and times in the panel are shown, and entered, in this zone.")

    class Meta:
        model = StaffPreference
        fields = ["timezone"]

    def __init__(self, *args, **kwargs):
        from customers.models import timezone_choices

        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = timezone_choices()
