import csv
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.views import View

from connex.exports import csv_row
from connex.forms import add_validation_errors
from connex.permissions import PermissionRequiredMixin
from customers.selectors import customer_get_visible

from . import selectors, services
from .filtersets import CdrDayFilterSet
from .forms import DayForm, RecalcForm
from .models import RecalcJob
from .tables import CdrTable

VIEW_CDRS = "summaries.view_calldetailrecord"
RUN_RECALC = "cdrs.add_recalcjob"
ONE_DAY = timedelta(days=1)


def cdr_list_context(request, customer):
    """The day's page of CDRs with its filters, as the tab and its htmx refresh show it."""
    day_form = DayForm(request.GET or None)
    day = day_form.day_or_today()
    filterset = CdrDayFilterSet(request.GET or None, queryset=selectors.cdr_day_queryset(customer_id=customer.pk,
                                                                                          day=day))
    filters = request.GET if filterset.is_bound else None
    page = selectors.cdr_day_page(customer_id=customer.pk, day=day, filters=filters,
                                  after=request.GET.get("after", ""), before=request.GET.get("before", ""))
    query = request.GET.copy()
    for name in ("after", "before", "_export"):
        query.pop(name, None)
    query["day"] = day.isoformat()
    return {"cdr_day": day, "cdr_day_form": DayForm(initial={"day": day}), "cdr_days": (day - ONE_DAY, day + ONE_DAY), "cdr_filter": filterset, "cdr_table": CdrTable(page.rows),
            "cdr_page": page, "cdr_query": query.urlencode(),
            "cdr_totals": selectors.cdr_day_totals(customer_id=customer.pk, day=day, filters=filters)}


def cdr_tab_context(request, customer):
    context = cdr_list_context(request, customer)
    if request.user.has_perm(RUN_RECALC):
        context["recalc_form"] = RecalcForm(initial={"day": context["cdr_day"]})
    if request.user.has_perm("cdrs.view_recalcjob"):
        context["recalc_jobs"] = selectors.recalc_job_list(user=request.user, customer_id=customer.pk)[:5]
    return context


class _Echo:
    def write(self, value):
        return value


def cdr_export_response(*, customer, day, filters):
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(selectors.EXPORT_COLUMNS)
        for record in selectors.cdr_day_export_rows(customer_id=customer.pk, day=day, filters=filters):
            yield writer.writerow(csv_row("" if value is None else value.isoformat() if hasattr(value, "isoformat")
                                          else value for value in record))

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="cdrs-{customer.pk}-{day:%Y-%m-%d}.csv"'
    return response


class CdrListView(PermissionRequiredMixin, View):
    """The CDR tab's list (htmx partial on filter, day or page change), or the filtered day as CSV."""

    permission_required = VIEW_CDRS

    def get(self, request, pk):
        customer = customer_get_visible(user=request.user, pk=pk)
        if request.GET.get("_export") == "csv":
            day = DayForm(request.GET).day_or_today()
            return cdr_export_response(customer=customer, day=day, filters=request.GET)
        return render(request, "cdrs/partials/cdr_list.html",
                      {"customer": customer, **cdr_list_context(request, customer)})


class RecalcView(PermissionRequiredMixin, View):
    """The Recalc CDR form: Preview shows the calls it changes (the first of them listed) and the money
    delta; Confirm queues the job."""

    permission_required = RUN_RECALC
    template_name = "cdrs/partials/recalc_form.html"

    def render_form(self, request, customer, form, status=200, **extra):
        return render(request, self.template_name, {"customer": customer, "recalc_form": form, **extra},
                      status=status)

    def get(self, request, pk):
        customer = customer_get_visible(user=request.user, pk=pk)
        return self.render_form(request, customer, RecalcForm(initial={"day": DayForm(request.GET).day_or_today()}))

    def post(self, request, pk):
        customer = customer_get_visible(user=request.user, pk=pk)
        form = RecalcForm(request.POST, instance=RecalcJob(customer=customer))
        if not form.is_valid():
            return self.render_form(request, customer, form, status=422)
        try:
            if request.POST.get("confirm"):
                job = services.recalc_job_create(recalc_job=form.save(commit=False), user=request.user)
                return self.render_form(request, customer, RecalcForm(initial={"day": job.day}), job=job)
            preview = services.recalc_preview(recalc_job=form.instance)
        except ValidationError as exc:
            add_validation_errors(form, exc)
            return self.render_form(request, customer, form, status=422)
        return self.render_form(request, customer, form, preview=preview)


class RecalcJobView(PermissionRequiredMixin, View):
    """One job: its progress row (htmx polls it until the job has finished) or its page."""

    permission_required = "cdrs.view_recalcjob"

    def get(self, request, pk):
        job = get_object_or_404(selectors.recalc_job_list(user=request.user), pk=pk)
        if request.htmx:
            return render(request, "cdrs/partials/recalc_job.html", {"job": job})
        return render(request, "cdrs/recalc_detail.html", {"job": job, "customer": job.customer,
                                                           "title": str(job)})
