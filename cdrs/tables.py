import django_tables2 as tables
from django.utils.html import format_html

from connex.tables import NUM
from ledger.tables import LedgerMoneyColumn
from summaries.models import CallDetailRecord


class CdrTable(tables.Table):
    """One page of a day's CDRs (the page comes from a keyset selector, so no paginator here)."""

    start_time = tables.DateTimeColumn(verbose_name="Start (UTC)", format="H:i:s")
    call_id = tables.Column(verbose_name="Call ID")
    cli = tables.Column(verbose_name="CLI")
    dialed_number = tables.Column(verbose_name="Number")
    destination = tables.Column()
    sip_code = tables.Column(verbose_name="SIP", attrs=NUM)
    duration = tables.Column(verbose_name="Duration", attrs=NUM)
    billed_duration = tables.Column(verbose_name="Billed", attrs=NUM)
    charge = LedgerMoneyColumn(verbose_name="Charge")
    rate_prefix = tables.Column(verbose_name="Prefix")
    rate = tables.Column(verbose_name="Rate/min", attrs=NUM)

    class Meta:
        model = CallDetailRecord
        fields = ("start_time", "call_id", "cli", "dialed_number", "destination", "sip_code", "duration",
                  "billed_duration", "charge", "rate_prefix", "rate")
        orderable = False
        empty_text = "No calls on this day."
        attrs = {"class": "table table-sm table-hover mb-0 small", "id": "cdr-table"}

    def render_sip_code(self, value, record):
        css = "text-bg-success" if record.answer_time else "text-bg-light border"
        return format_html('<span class="badge {}">{}</span>', css, value)

    def render_rate(self, value):
        return f"{value.normalize():f}"
