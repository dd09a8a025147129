"""Merge fields of broadcasts: a staff-written Django template rendered against plain values.

The context holds only dicts of strings and Decimals, and the engine has no loaders and no
extra tag libraries, so a template can print values but cannot reach the ORM or the disk.
"""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.template import Context, Engine, TemplateDoesNotExist, TemplateSyntaxError

_engine = Engine(debug=False, loaders=[], libraries={}, autoescape=False)

MERGE_FIELDS = [
    ("customer.name", "Customer name"),
    ("customer.balance", "Balance"),
    ("customer.available_credit", "Available credit"),
    ("customer.debit_limit", "Debit limit"),
    ("customer.currency", "Currency"),
    ("customer.status", "Status"),
    ("customer.id", "Customer ID"),
    ("contact.name", "Contact name"),
    ("contact.email", "Contact email"),
    ("contact.mobile", "Contact mobile"),
    ("company.name", "Our company name"),
]


def _money(value):
    return (value or Decimal(0)).quantize(Decimal("0.01"))


def merge_context(*, customer, contact, options):
    return {
        "customer": {
            "id": customer.pk, "name": customer.name, "balance": _money(customer.balance),
            "available_credit": _money(customer.available_credit), "debit_limit": _money(customer.debit_limit),
            "currency": customer.currency, "status": customer.get_status_display(),
        },
        "contact": {"name": contact.name, "email": contact.email, "mobile": contact.mobile} if contact else {},
        "company": {"name": options.company_name, "email": options.company_email},
    }


def compile_template(source, *, field="body"):
    try:
        return _engine.from_string(source)
    except TemplateSyntaxError as exc:
        raise ValidationError({field: f"Merge fields: {exc}"})


def render(source, context, *, field="body"):
    try:
        return compile_template(source, field=field).render(Context(context))
    except TemplateDoesNotExist as exc:  # {% include %}: there is nothing to include
        raise ValidationError({field: f"Merge fields: no template {exc} can be included."})


SAMPLE_CONTEXT = {
    "customer": {"id": 1, "name": "Sample", "balance": Decimal("0.00"), "available_credit": Decimal("0.00"),
                 "debit_limit": Decimal("0.00"), "currency": "USD", "status": "Active"},
    "contact": {"name": "Sample", "email": "sample@example.com", "mobile": "+14155550100"},
    "company": {"name": "Sample", "email": "sample@example.com"},
}


def check(source, *, field="body", extra_fields=(), extra_sample=None):
    """Refuse unknown merge fields: a typo would otherwise print blank to every recipient.

    Messages with fields of their own (an alert's value) pass them as `extra_fields` (name, label)
    with sample values in `extra_sample` ({"alert": {...}}).
    """
    render(source, {**SAMPLE_CONTEXT, **(extra_sample or {})}, field=field)  # errors that only show when rendering
    known = {name for name, _ in MERGE_FIELDS} | {name for name, _ in extra_fields}
    unknown = sorted({name for name in re.findall(r"{{\s*([\w.]+)", source) if name not in known})
    if unknown:
        names = ", ".join("{{ " + name + " }}" for name in unknown)
        raise ValidationError({field: f"Unknown merge field: {names}."})
