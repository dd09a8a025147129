import django_tables2 as tables
from django.utils.html import format_html, format_html_join

from connex.templatetags.connex_format import format_money

from .models import Customer, DelayedChange


class MoneyColumn(tables.Column):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", {"td": {"class": "num"}, "th": {"class": "num"}})
        super().__init__(*args, **kwargs)

    def render(self, value, record):
        css = "negative" if value < 0 else ""
        return format_html('<span class="{}">{}</span>', css, format_money(value, getattr(record, "currency", "")))

    def value(self, value):
        return f"{value:.2f}"


class CustomerTable(tables.Table):
    preference_key = "customers"
    fixed_columns = ("selection", "name")
    default_columns = ("status", "currency", "balance", "debit_limit", "channels", "flow_speed", "tags",
                       "account_manager", "reseller", "created")

    selection = tables.CheckBoxColumn(accessor="pk", attrs={
        "th__input": {"class": "form-check-input cx-select-all", "aria-label": "Select all on this page",
                      "form": "selection-form"},
        "td__input": {"class": "form-check-input", "name": "pk", "form": "selection-form"},
    }, orderable=False)
    name = tables.Column(linkify=True, attrs={"td": {"class": "fw-semibold"}})
    status = tables.Column()
    currency = tables.Column()
    balance = MoneyColumn()
    debit_limit = MoneyColumn()
    channels = tables.Column(attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    flow_speed = tables.Column(verbose_name="CPS", attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    tags = tables.Column(empty_values=(), orderable=False)
    account_manager = tables.Column(order_by=("account_manager__username",))
    reseller = tables.Column(order_by=("reseller__name",))
    created = tables.DateTimeColumn(format="Y-m-d H:i")
    channels_in_use = tables.Column(verbose_name="Channels in use", attrs={"td": {"class": "num"}})
    minimum_payment = MoneyColumn()
    daily_spend_limit = MoneyColumn()
    tax_percent = tables.Column(verbose_name="Tax %", attrs={"td": {"class": "num"}})
    invoice_schedule = tables.Column()
    external_accounting_id = tables.Column(verbose_name="Ext. accounting ID")
    paypal_email = tables.Column(verbose_name="PayPal email")
    website = tables.Column()
    country = tables.Column()
    timezone = tables.Column()
    updated = tables.DateTimeColumn(format="Y-m-d H:i")

    class Meta:
        model = Customer
        fields = ()
        order_by = ("name",)
        attrs = {"class": "table table-sm table-hover align-middle", "id": "customer-table"}
        empty_text = "No customers match."

    def render_status(self, record):
        return format_html('<span class="cx-status cx-status-{}">{}</span>', record.status,
                           record.get_status_display())

    def render_tags(self, record):
        return format_html_join("", '<span class="cx-tag">{}</span>', ((t.name,) for t in record.tags.all()))

    def value_tags(self, record):
        return ", ".join(tag.name for tag in record.tags.all())

    def render_account_manager(self, value):
        return value.get_full_name() or value.get_username()

    def render_currency(self, record):
        return record.currency

    def value_currency(self, record):
        return record.currency

    def value_status(self, record):
        return record.get_status_display()


class DelayedChangeTable(tables.Table):
    preference_key = "delayed_changes"
    fixed_columns = ("customer",)
    default_columns = ("due_at", "state", "changes", "requested_by", "created", "reason", "actions")

    customer = tables.Column(linkify=True, order_by=("customer__name",))
    due_at = tables.DateTimeColumn(verbose_name="Due", format="Y-m-d H:i")
    state = tables.Column()
    changes = tables.TemplateColumn(template_name="customers/partials/delayed_change_diff.html",
                                    verbose_name="Fields (old → new)", orderable=False)
    requested_by = tables.Column(verbose_name="By", order_by=("requested_by__username",))
    created = tables.DateTimeColumn(verbose_name="Requested", format="Y-m-d H:i")
    reason = tables.Column(verbose_name="Failure reason")
    actions = tables.TemplateColumn(template_name="customers/partials/delayed_change_cancel.html",
                                    verbose_name="", orderable=False, exclude_from_export=True)

    class Meta:
        model = DelayedChange
        fields = ()
        attrs = {"class": "table table-sm table-hover align-middle", "id": "delayed-change-table"}
        empty_text = "No delayed changes match."
        order_by = ("due_at",)

    def render_state(self, value, record):
        return format_html('<span class="cx-status cx-status-{}">{}</span>', value, record.get_state_display())

    def value_state(self, record):
        return record.get_state_display()

    def value_changes(self, record):
        return "; ".join(f"{field}: {old} → {new}" for field, (old, new) in record.changes.items())


class CustomerDeleteTable(tables.Table):
    """The customers a bulk delete would remove, each with why it cannot go (if so)."""

    name = tables.Column()
    status = tables.Column()
    balance = MoneyColumn()
    refusal = tables.Column(verbose_name="", empty_values=(), attrs={"td": {"class": "small"}})

    class Meta:
        model = Customer
        fields = ()
        orderable = False
        attrs = {"class": "table table-sm small", "id": "delete-list"}
        row_attrs = {"class": lambda record: "table-danger" if record.refusal else ""}

    def render_refusal(self, value):
        return f"Refused: {value}" if value else ""
