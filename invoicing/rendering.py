"""Invoice templates render in a sandbox: a bare template engine and plain data only.

The engine has no loaders, no context processors and no tag libraries beyond the built-in
tags and filters (without `debug`, `load`, `include`, `extends`), and the context holds plain
dicts and strings, so a template cannot reach settings, the ORM or the file system. Errors
come back as text for the editor to show. WeasyPrint fetches nothing but inline `data:` URLs.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.template import (
    Context,
    Engine,
    Library,
    TemplateSyntaxError,
    defaultfilters,
    defaulttags,
)
from django.utils.html import escape

DEFAULT_DIR = Path(__file__).parent / "default_template"
BLOCKED_TAGS = {"debug", "load", "include", "extends", "block", "ssi", "csrf_token", "url"}


@cache
def _engine():
    tags = Library()
    tags.tags = {name: tag for name, tag in defaulttags.register.tags.items() if name not in BLOCKED_TAGS}
    engine = Engine(debug=True, loaders=[], libraries={}, builtins=[], autoescape=True)
    engine.template_builtins = [tags, defaultfilters.register]
    return engine


def default_html():
    return (DEFAULT_DIR / "invoice.html").read_text()


def default_css():
    return (DEFAULT_DIR / "invoice.css").read_text()


@dataclass
class Rendered:
    html: str
    error: str = ""


def money(value) -> str:
    return f"{Decimal(value):,.2f}"


def invoice_data(invoice, company, lines=None) -> dict:
    """The whole context a template sees: plain values copied out of the models."""
    customer = invoice.customer
    lines = list(invoice.lines.all()) if lines is None else lines
    return {
        "company": {"name": company.company_name, "email": company.company_email,
                    "address_lines": [x for x in company.company_address.splitlines() if x.strip()]},
        "customer": {"name": customer.name, "address_lines": list(customer.address_lines),
                     "external_accounting_id": customer.external_accounting_id},
        "invoice": {
            "number": invoice.number or "", "kind": invoice.kind, "status": invoice.get_status_display(),
            "currency": invoice.currency, "issue_date": invoice.issue_date, "due_date": invoice.due_date,
            "period_start": invoice.period_start, "period_end": invoice.period_end,
            "period": invoice.period_display,
            "period_last_day": invoice.period_end - timedelta(microseconds=1)
            if invoice.period_end > invoice.period_start else invoice.period_end,
            "subtotal": money(invoice.subtotal), "tax_percent": f"{invoice.tax_percent:.2f}",
            "tax_amount": money(invoice.tax_amount), "total": money(invoice.total),
            "amount_paid": money(invoice.amount_paid), "has_payments": invoice.amount_paid != 0,
            "external_accounting_id": invoice.external_accounting_id,
        },
        "lines": [{"description": line.description, "quantity": f"{line.quantity:,.2f}",
                   "unit_price": f"{line.unit_price:.6f}".rstrip("0").rstrip(".") if line.quantity else "",
                   "amount": money(line.amount)} for line in lines],
    }


def render_html(template_html: str, css: str, data: dict) -> Rendered:
    try:
        body = _engine().from_string(template_html).render(Context(data, autoescape=True))
    except TemplateSyntaxError as exc:
        line = getattr(exc, "template_debug", {}).get("line")
        return Rendered("", f"Template error{f' on line {line}' if line else ''}: {exc}")
    except Exception as exc:  # a template must never take the page down with it
        line = getattr(exc, "template_debug", {}).get("line")
        return Rendered("", f"Template error{f' on line {line}' if line else ''}: {type(exc).__name__}: {exc}")
    page = ('<!doctype html><html><head><meta charset="utf-8"><style>' + css.replace("</", "<\\/")
            + "</style></head><body>" + body + "</body></html>")
    return Rendered(page)


def _refuse_fetch(url, *args, **kwargs):
    if url.startswith("data:"):
        from weasyprint.urls import default_url_fetcher

        return default_url_fetcher(url)
    raise ValueError(f"Invoice templates cannot load external resources ({escape(url[:60])}).")


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=_refuse_fetch, base_url="/").write_pdf()
