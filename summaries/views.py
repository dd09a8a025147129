import csv
from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseGone, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView
from django_tables2 import RequestConfig

from connex.exports import csv_row
from connex.permissions import PermissionRequiredMixin
from connex.registry import registry
from connex.views import ObjectListView, OptionsFormView
from customers.selectors import customer_get_visible

from . import selectors, services
from .filtersets import CdrImportFilterSet
from .forms import CdrRetentionOptionsForm, RebuildForm
from .models import SummaryRebuild
from .partitions import CdrDaysGone, cdr_days_check
from .periods import HOURLY, UNITS, Period
from .tables import CdrImportEntryTable, CdrImportTable

LEDGER_PERMISSION = "ledger.view_ledgerentry"


class _Echo:
    def write(self, value):
        return value


def cdr_report_response(*, customer, period_key, columns=selectors.REPORT_COLUMNS):
    """Stream one period's CDRs as CSV; rows go out as the server-side cursor yields them."""
    try:
        period = Period.from_key(period_key)
    except ValidationError as exc:
        raise Http404(exc.messages[0]) from exc
    try:
        cdr_days_check(start=period.start)
    except CdrDaysGone as exc:
        return HttpResponseGone(exc.messages[0], content_type="text/plain; charset=utf-8")
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(columns)
        for record in selectors.cdr_report_rows(customer_id=customer.pk, start=period.start, end=period.end,
                                                columns=columns):
            yield writer.writerow(csv_row("" if value is None else value.isoformat() if hasattr(value, "isoformat")
                                          else value for value in record))

    name = f"cdrs-{customer.pk}-{period.key.replace(':', '-')}.csv"
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def summary_context(*, customer, kind, table_url, download_url, selectable=True):
    """`selectable` is the staff view: row checkboxes, carrier cost and profit (never in the portal)."""
    if kind not in UNITS:
        kind = HOURLY
    return {"summary": selectors.summary_table(customer_id=customer.pk, kind=kind), "summary_kind": kind,
            "summary_tabs": selectors.TABS, "summary_table_url": table_url, "cdr_download_url": download_url,
            "summary_selectable": selectable, "customer": customer}


def summary_section_context(request, customer):
    return summary_context(customer=customer, kind=request.GET.get("period", HOURLY),
                           table_url=reverse("summaries:summary_table", args=[customer.pk]),
                           download_url=reverse("summaries:cdr_report", args=[customer.pk])) | {
        "summary_actions": registry.summary_actions}


def stats_tab_context(request, customer):
    return {"series": selectors.summary_series(customer_id=customer.pk),
            "stats_scopes": [("hourly", "Per hour, last 24 hours"), ("daily", "Per day, last 30 days")],
            "stats_metrics": [("attempts", "Attempts"), ("minutes", "Minutes"), ("asr", "ASR %"),
                              ("acd", "ACD (s)")]}


class SummaryTableView(PermissionRequiredMixin, View):
    """The Summary section's table for one period kind (htmx partial)."""

    permission_required = "summaries.view_hourlysummary"

    def get(self, request, pk):
        customer = customer_get_visible(user=request.user, pk=pk)
        context = summary_section_context(request, customer)
        return render(request, "summaries/partials/summary_table.html", context)


class CdrReportView(PermissionRequiredMixin, View):
    permission_required = "summaries.view_calldetailrecord"

    def get(self, request, pk):
        customer = customer_get_visible(user=request.user, pk=pk)
        return cdr_report_response(customer=customer, period_key=request.GET.get("period", ""))


class RebuildView(PermissionRequiredMixin, View):
    permission_required = "summaries.rebuild_summaries"
    template_name = "summaries/rebuild.html"

    def render_page(self, request, form, status=200):
        return render(request, self.template_name, {
            "form": form, "rebuilds": SummaryRebuild.objects.select_related("requested_by")[:10],
            "title": "Rebuild summaries"}, status=status)

    def get(self, request):
        today = date.today()
        return self.render_page(request, RebuildForm(initial={"date_from": today.replace(day=1), "date_to": today}))

    def post(self, request):
        form = RebuildForm(request.POST)
        if not form.is_valid():
            return self.render_page(request, form, status=422)
        rebuild = services.summary_rebuild_request(date_from=form.cleaned_data["date_from"],
                                                   date_to=form.cleaned_data["date_to"], user=request.user)
        messages.success(request, f"{rebuild} queued.")
        return redirect("summaries:rebuild")


class RebuildProgressView(PermissionRequiredMixin, View):
    permission_required = "summaries.rebuild_summaries"

    def get(self, request, pk):
        rebuild = get_object_or_404(SummaryRebuild, pk=pk)
        return render(request, "summaries/partials/rebuild_row.html", {"rebuild": rebuild})


class CdrRetentionOptionsView(OptionsFormView):
    """Settings → CDR retention."""

    permission_required = "summaries.change_cdrretentionoptions"
    form_class = CdrRetentionOptionsForm
    title = "CDR retention"


class CdrImportListView(ObjectListView):
    """Every CDR import run (files, API calls, the switch's batches): read-only, as they are written once."""

    permission_required = "summaries.view_cdrimport"
    table_class = CdrImportTable
    filterset_class = CdrImportFilterSet
    title = "CDR imports"
    search_placeholder = "File name"

    def get_queryset(self):
        return selectors.cdr_import_list(name=self.request.GET.get("q", ""))


class CdrImportDetailView(PermissionRequiredMixin, DetailView):
    """One CDR import and the ledger entries it posted (shown to staff who may read the ledger)."""

    permission_required = "summaries.view_cdrimport"
    context_object_name = "cdr_import"
    template_name = "summaries/cdr_import_detail.html"

    def get_queryset(self):
        return selectors.cdr_import_list()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.user.has_perm(LEDGER_PERMISSION):
            table = CdrImportEntryTable(selectors.cdr_import_ledger_entries(cdr_import=self.object,
                                                                            user=self.request.user))
            RequestConfig(self.request, paginate={"per_page": 100}).configure(table)
            context["entries"] = table
        return context
