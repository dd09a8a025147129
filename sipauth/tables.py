import django_tables2 as tables

from connex.tables import NUM

ACTIONS = {"td": {"class": "text-end text-nowrap"}}


class SipUserTable(tables.Table):
    """The card's SIP users, each with Edit and Delete."""

    username = tables.Column(attrs={"td": {"class": "fw-semibold"}})
    channels = tables.Column(attrs=NUM)
    flow_speed = tables.Column(verbose_name="CPS", attrs=NUM)
    allowed_ips = tables.Column(verbose_name="IP restriction", empty_values=())
    password_changed = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name="Password set", default="—")
    realm = tables.Column(attrs={"td": {"class": "text-muted"}})
    actions = tables.TemplateColumn(template_name="sipauth/partials/sip_user_actions.html", verbose_name="",
                                    empty_values=(), attrs=ACTIONS)

    class Meta:
        orderable = False
        attrs = {"class": "table table-sm table-hover mb-0 small", "id": "sip-user-table"}
        row_attrs = {"data-extension": lambda record: record.extension}

    def render_allowed_ips(self, record):
        return ", ".join(record.allowed_ips) if record.allowed_ips else "Any"


class IpEntryTable(tables.Table):
    """The card's IP authentication entries, each with Edit and Delete."""

    address = tables.Column(verbose_name="IP / hostname", attrs={"td": {"class": "fw-semibold"}})
    protocol = tables.Column()
    port = tables.Column(attrs=NUM)
    direction = tables.Column()
    tech_prefix = tables.Column(default="—")
    strip_digits = tables.Column(verbose_name="Strip", attrs=NUM)
    dial_pattern = tables.TemplateColumn(
        '{% if record.dial_pattern %}<code>{{ record.dial_pattern }}</code>{% else %}Any{% endif %}',
        empty_values=())
    cli_prefix = tables.Column(verbose_name="CLI prefix", default="—")
    codecs = tables.Column(empty_values=())
    channels = tables.Column(empty_values=(), attrs=NUM)
    flow_speed = tables.Column(verbose_name="CPS", empty_values=(), attrs=NUM)
    actions = tables.TemplateColumn(template_name="sipauth/partials/ip_entry_actions.html", verbose_name="",
                                    empty_values=(), attrs=ACTIONS)

    class Meta:
        orderable = False
        attrs = {"class": "table table-sm table-hover mb-0 small", "id": "ip-entry-table"}
        row_attrs = {"data-address": lambda record: record.address}

    def render_direction(self, value):
        return "Ingress" if value == "ingress" else "Egress"

    def render_codecs(self, record):
        return ", ".join(record.codecs) if record.codecs else "Any"

    def render_channels(self, record):
        return record.channels or "Inherit"

    def render_flow_speed(self, record):
        return record.flow_speed or "Inherit"
