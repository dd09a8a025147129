import django_tables2 as tables
from django.utils.html import format_html

from connex.tables import NUM

from .models import Broadcast, Message


class MessageTable(tables.Table):
    preference_key = "messages"
    fixed_columns = ("created", "to")
    default_columns = ("channel", "kind", "subject", "customer", "state", "attempts", "error", "sent_at")

    created = tables.DateTimeColumn(format="Y-m-d H:i:s", linkify=True)
    to = tables.Column(verbose_name="To", attrs={"td": {"class": "font-monospace small"}})
    channel = tables.Column()
    kind = tables.Column()
    subject = tables.Column()
    customer = tables.Column(linkify=True, order_by=("customer__name",))
    contact = tables.Column(order_by=("contact__name",))
    state = tables.Column()
    attempts = tables.Column(attrs=NUM)
    error = tables.Column(default="", attrs={"td": {"class": "small text-danger text-truncate cx-error-cell"}})
    provider_message_id = tables.Column(verbose_name="Provider ID")
    sent_at = tables.DateTimeColumn(format="Y-m-d H:i:s")
    broadcast = tables.Column(linkify=True)

    class Meta:
        model = Message
        fields = ()
        order_by = ("-created",)
        attrs = {"class": "table table-sm table-hover align-middle", "id": "message-table"}
        empty_text = "No messages match."

    def render_state(self, record):
        return format_html('<span class="cx-status cx-msg-{}">{}</span>', record.state, record.get_state_display())

    def value_state(self, record):
        return record.get_state_display()

    def render_subject(self, record, value):
        return value

    def render_error(self, value):
        return format_html('<span title="{}">{}</span>', value, value[:80])

    def value_error(self, value):
        return value


class BroadcastTable(tables.Table):
    preference_key = "broadcasts"
    fixed_columns = ("created", "subject")
    default_columns = ("channel", "created_by", "customer_count", "recipient_count")

    created = tables.DateTimeColumn(format="Y-m-d H:i", linkify=True)
    subject = tables.Column(empty_values=(), linkify=lambda record: record.get_absolute_url(),
                            verbose_name="Subject / text")
    channel = tables.Column()
    created_by = tables.Column(verbose_name="Sent by")
    customer_count = tables.Column(verbose_name="Customers", attrs=NUM)
    recipient_count = tables.Column(verbose_name="Recipients", attrs=NUM)

    class Meta:
        model = Broadcast
        fields = ()
        order_by = ("-created",)
        attrs = {"class": "table table-sm table-hover align-middle", "id": "broadcast-table"}
        empty_text = "No broadcasts yet."

    def render_subject(self, record):
        return record.subject or (record.body[:70] + ("…" if len(record.body) > 70 else ""))

    def value_subject(self, record):
        return record.subject or record.body


class CustomerMessageTable(tables.Table):
    """The card's Messages tab: the customer's latest messages."""

    created = tables.DateTimeColumn(format="Y-m-d H:i", linkify=True, attrs={"td": {"class": "text-nowrap"}})
    channel = tables.Column()
    kind = tables.Column()
    to = tables.Column(verbose_name="To", attrs={"td": {"class": "font-monospace"}})
    subject = tables.Column(verbose_name="Subject / text", empty_values=())
    state = tables.Column()
    error = tables.Column(default="", attrs={"td": {"class": "text-danger"}})

    class Meta:
        model = Message
        fields = ()
        orderable = False
        attrs = {"class": "table table-sm table-hover mb-0 small align-middle", "id": "customer-messages"}
        empty_text = "No messages sent to this customer yet."

    def render_subject(self, record):
        text = record.subject or record.body
        return text[:59] + "…" if len(text) > 60 else text

    def render_state(self, record):
        return format_html('<span class="cx-status cx-msg-{}">{}</span>', record.state, record.get_state_display())

    def render_error(self, value):
        return value[:69] + "…" if len(value) > 70 else value
