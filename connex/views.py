"""Generic views shared by every app: filtered, sortable, exportable tables with chosen columns."""

import json
import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseBadRequest, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.views import View
from django.views.generic import TemplateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.export import ExportMixin

from connex.exports import SafeTableExport
from connex.forms import AccountOptionsForm
from connex.models import StaffPreference
from connex.permissions import SIGNED_IN, PermissionRequiredMixin
from connex.registry import registry

logger = logging.getLogger(__name__)

PER_PAGE_CHOICES = (25, 50, 100, 250)


class ObjectListView(PermissionRequiredMixin, ExportMixin, SingleTableMixin, FilterView):
    """A list page: declare `queryset`, `table_class`, `filterset_class`, and it is done.

    Adds a free-text search (`q`, through the queryset's `search()`), per-page choice,
    CSV export of the whole filtered table (`?_export=csv`), and each staff member's own
    choice and order of columns (saved by TableColumnsView under the table's `preference_key`).
    """

    template_name = "connex/object_list.html"
    export_formats = ("csv",)
    export_class = SafeTableExport
    table_per_page = 50
    title = ""
    search_placeholder = "Search"

    def get(self, request, *args, **kwargs):
        # django-tables2 reads per_page from the query itself, so refuse what it cannot page by.
        per_page = request.GET.get("per_page")
        if per_page is not None and per_page not in {str(n) for n in PER_PAGE_CHOICES}:
            return HttpResponseBadRequest(
                f"per_page must be one of {', '.join(str(n) for n in PER_PAGE_CHOICES)}.", content_type="text/plain")
        return super().get(request, *args, **kwargs)

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
        headers = self.column_headers()
        context.update(
            title=self.title,
            search_placeholder=self.search_placeholder,
            query=self.request.GET.get("q", ""),
            per_page_choices=PER_PAGE_CHOICES,
            column_choices=[
                {"name": name, "label": headers.get(name) or name, "shown": name in chosen}
                for name in ordered
            ],
            preference_key=table_class.preference_key,
            filtered_count=context["table"].paginator.count if context["table"].page else None,
        )
        return context

    def column_headers(self):
        """Every column's header as the table shows it (verbose names resolved from the model)."""
        table = self.table_class(self.table_class._meta.model.objects.none() if self.table_class._meta.model
                                 else [])
        return {column.name: str(column.header) for column in table.columns.all()}

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


class OptionsFormView(PermissionRequiredMixin, View):
    """A settings page editing one single-row model through `form_class`; saving is audited.

    Subclasses declare `permission_required` (usually the model's change permission).
    """

    form_class = None
    title = ""
    template_name = "connex/options_form.html"

    def get_context_data(self, form):
        return {"form": form, "title": self.title}

    def render_form(self, request, form, status=200):
        return render(request, self.template_name, self.get_context_data(form), status=status)

    def get(self, request):
        return self.render_form(request, self.form_class(instance=self.form_class._meta.model.get()))

    def post(self, request):
        form = self.form_class(request.POST, request.FILES, instance=self.form_class._meta.model.get())
        if form.is_valid():
            form.save()
            messages.success(request, f"{self.title} settings saved.")
            return redirect(request.path)
        return self.render_form(request, form, status=422)


class AccountOptionsView(OptionsFormView):
    permission_required = "connex.change_accountoptions"
    form_class = AccountOptionsForm
    title = "Company"


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


class SignInLockoutListView(PermissionRequiredMixin, TemplateView):
    """Settings → Sign-in lockouts: usernames and addresses django-axes has locked out, newest first."""

    permission_required = "axes.view_accessattempt"
    template_name = "connex/lockout_list.html"

    def get_context_data(self, **kwargs):
        from axes.models import AccessAttempt

        limit = settings.AXES_FAILURE_LIMIT
        attempts = AccessAttempt.objects.order_by("-attempt_time")[:500]
        return super().get_context_data(
            attempts=attempts, limit=limit, title="Sign-in lockouts",
            can_unlock=self.request.user.has_perm("axes.delete_accessattempt"), **kwargs)


class SignInLockoutUnlockView(PermissionRequiredMixin, View):
    """Lift a lockout: forget the failed sign-ins of that username and address."""

    permission_required = "axes.delete_accessattempt"

    def post(self, request, pk):
        from axes.models import AccessAttempt

        attempt = AccessAttempt.objects.filter(pk=pk).first()
        if attempt is not None:
            logger.info("%s lifted the sign-in lockout of %r from %s", request.user.get_username(),
                        attempt.username, attempt.ip_address)
            attempt.delete()
            messages.success(request, f"Lockout of “{attempt.username}” from {attempt.ip_address} lifted.")
        return redirect("signin_lockouts")


def _health_context():
    from connex.health import health_report

    report = health_report()
    return report, all(outcome.ok for _, outcome in report)


def healthz(request):
    """For monitors: unauthenticated, so only each check's state and figure, no details."""
    report, healthy = _health_context()
    body = {"status": "ok" if healthy else "fail",
            "checks": {check.key: {"ok": outcome.ok, "status": outcome.summary, "value": outcome.value}
                       for check, outcome in report}}
    return JsonResponse(body, status=200 if healthy else 503, headers={"Cache-Control": "no-store"})


class SystemHealthView(PermissionRequiredMixin, TemplateView):
    """Settings → System health: every check with its details (errors, hours set aside)."""

    permission_required = SIGNED_IN
    template_name = "connex/system_health.html"

    def get_context_data(self, **kwargs):
        report, healthy = _health_context()
        return super().get_context_data(report=report, healthy=healthy, title="System health", **kwargs)


def _is_portal(request):
    return request.path.startswith("/portal/")


def page_not_found(request, exception=None):
    """404 in the look of the side the visitor is on: the panel, or the customer portal."""
    template = "portal/404.html" if _is_portal(request) else "404.html"
    return render(request, template, {"request_id": getattr(request, "request_id", None)}, status=404)


def server_error(request):
    """500 without context processors or queries: the failure may be the database itself."""
    portal = _is_portal(request)
    html = loader.get_template("500.html").render({
        "request_id": getattr(request, "request_id", None), "home_url": "/portal/" if portal else "/",
        "brand": "Customer portal" if portal else "Connex",
        "home_label": "Back to your dashboard" if portal else "Back to Customers"})
    return HttpResponseServerError(html)
