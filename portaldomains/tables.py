import django_tables2 as tables
from django.utils.html import format_html

from .models import PortalDomain


class PortalDomainTable(tables.Table):
    preference_key = "portal_domains"
    fixed_columns = ("host",)
    default_columns = ("display_name", "colours", "support_email", "support_phone", "features", "topup_methods",
                       "customers")

    host = tables.Column(linkify=("portaldomains:domain_edit", [tables.A("pk")]), attrs={"td": {"class": "fw-semibold"}})
    display_name = tables.Column()
    colours = tables.Column(empty_values=(), orderable=False)
    support_email = tables.Column()
    support_phone = tables.Column()
    features = tables.Column(orderable=False)
    topup_methods = tables.Column(orderable=False, verbose_name="Top-up methods")
    customers = tables.Column(empty_values=(), orderable=False, verbose_name="Customers")

    class Meta:
        model = PortalDomain
        fields = ()
        order_by = ("host",)
        attrs = {"class": "table table-sm table-hover align-middle", "id": "portal-domain-table"}

    def render_colours(self, record):
        return format_html('<span class="cx-swatch" style="background:{}"></span> '
                           '<span class="cx-swatch" style="background:{}"></span>',
                           record.primary_colour, record.accent_colour)

    def render_features(self, value):
        from customers.models import PortalSection

        labels = dict(PortalSection.choices)
        return ", ".join(str(labels.get(v, v)) for v in value) or "—"

    def render_topup_methods(self, value):
        return ", ".join(value) or "—"

    def render_customers(self, record):
        return getattr(record, "customer_count", 0)
