"""The portal's Summaries and CDRs sections: the staff views, scoped to the contact's customer."""

from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from customers.models import PortalSection
from portal.access import portal_customer, portal_section_required

from . import selectors
from .partitions import CdrDaysGone, cdr_days_check
from .periods import DAILY, Period
from .views import cdr_report_response, summary_context


def _summary_context(request):
    return summary_context(customer=portal_customer(request), kind=request.GET.get("period", DAILY),
                           table_url=reverse("summaries_portal:summary_table"),
                           download_url=reverse("summaries_portal:cdr_report"), selectable=False)


@portal_section_required(PortalSection.SUMMARIES)
def summaries(request):
    return render(request, "summaries/portal/summaries.html", {"ctx": _summary_context(request), "title": "Summaries"})


@portal_section_required(PortalSection.SUMMARIES)
def summary_table(request):
    return render(request, "summaries/partials/summary_table.html", _summary_context(request))


@portal_section_required(PortalSection.SUMMARIES)
def summary_cdr_report(request):
    return cdr_report_response(customer=portal_customer(request), period_key=request.GET.get("period", ""),
                               columns=selectors.PORTAL_REPORT_COLUMNS)


@portal_section_required(PortalSection.CDRS)
def cdrs(request):
    customer = portal_customer(request)
    now = datetime.now(UTC)
    try:
        month = datetime.strptime(request.GET.get("month", ""), "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    try:
        period = Period.from_key(f"monthly:{month:%Y-%m-%d}")
    except ValidationError as exc:
        raise Http404(exc.messages[0]) from exc
    gone_message = ""
    try:
        cdr_days_check(start=period.start)
        records = selectors.cdr_list(customer_id=customer.pk, start=period.start, end=period.end)
    except CdrDaysGone as exc:
        gone_message, records = exc.messages[0], []
    page = Paginator(records, 100).get_page(request.GET.get("page"))
    return render(request, "summaries/portal/cdrs.html", {
        "customer": customer, "page": page, "month": month, "period_key": period.key, "title": "CDRs",
        "gone_message": gone_message})


@portal_section_required(PortalSection.CDRS)
def cdr_report(request):
    return cdr_report_response(customer=portal_customer(request), period_key=request.GET.get("period", ""),
                               columns=selectors.PORTAL_REPORT_COLUMNS)
