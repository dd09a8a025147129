import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from pghistory.models import Events

from .selectors import actor_display, event_diff_json, event_summary, tracked_models


class EventTable(tables.Table):
    preference_key = "audit"
    fixed_columns = ("pgh_created_at", "object")
    default_columns = ("action", "actor", "changes", "request_id", "task_id")

    pgh_created_at = tables.DateTimeColumn(verbose_name="When", format="Y-m-d H:i:s",
                                           attrs={"td": {"class": "text-nowrap"}})
    object = tables.Column(empty_values=(), orderable=False, verbose_name="Object")
    action = tables.Column(accessor="pgh_label", verbose_name="Action")
    actor = tables.Column(empty_values=(), orderable=False, verbose_name="Actor")
    changes = tables.Column(empty_values=(), orderable=False, verbose_name="Changes")
    request_id = tables.Column(empty_values=(), orderable=False, verbose_name="Request id")
    task_id = tables.Column(empty_values=(), orderable=False, verbose_name="Task id")

    class Meta:
        model = Events
        fields = ()
        order_by = ("-pgh_created_at",)
        attrs = {"class": "table table-sm table-hover align-top", "id": "audit-table"}
        empty_text = "No changes match."

    def _object_label(self, record):
        names = dict(tracked_models())
        return f"{names.get(record.pgh_obj_model, record.pgh_obj_model)} #{record.pgh_obj_id}"

    def render_object(self, record):
        label = self._object_label(record)
        if record.pgh_obj_model == "customers.Customer" and not record.pgh_label.endswith(".deleted"):
            return format_html('<a href="{}">{}</a>', reverse("customers:customer_detail",
                                                              args=[record.pgh_obj_id]), label)
        return label

    def value_object(self, record):
        return self._object_label(record)

    def render_actor(self, record):
        return actor_display(record.pgh_context)

    def render_request_id(self, record):
        return format_html('<code class="small">{}</code>', (record.pgh_context or {}).get("request_id") or "")

    def value_request_id(self, record):
        return (record.pgh_context or {}).get("request_id") or ""

    def render_task_id(self, record):
        return format_html('<code class="small">{}</code>', (record.pgh_context or {}).get("task_id") or "")

    def value_task_id(self, record):
        return (record.pgh_context or {}).get("task_id") or ""

    def render_changes(self, record):
        fields = event_summary(record)
        # pgh_id repeats across event tables; the slug (table label + id) does not.
        element_id = "diff-" + "".join(ch if ch.isalnum() else "-" for ch in record.pgh_slug)
        return format_html(
            '<span class="small">{}</span> <a class="small" data-bs-toggle="collapse" href="#{}" '
            'role="button">View difference</a><pre class="collapse small cx-diff mb-0 mt-1" id="{}" '
            'style="max-height: 24rem; overflow: auto">{}</pre>',
            fields, element_id, element_id, event_diff_json(record))

    def value_changes(self, record):
        return event_diff_json(record)


class CustomerEventTable(tables.Table):
    """The card's Audit log tab: changes to the customer and what belongs to it, each with its difference.

    Rows are dicts from views.customer_audit_context: event, object, actor, fields, diff.
    """

    when = tables.DateTimeColumn(accessor="event__pgh_created_at", format="Y-m-d H:i:s", verbose_name="When",
                                 attrs={"td": {"class": "text-nowrap"}})
    object = tables.TemplateColumn(
        '{{ record.object }}{% if record.object != "Customer" %} #{{ record.event.pgh_obj_id }}{% endif %}')
    action = tables.Column(accessor="event__pgh_label", verbose_name="Action")
    actor = tables.Column(verbose_name="By")
    fields = tables.Column(verbose_name="Fields")
    diff = tables.TemplateColumn(
        '<a class="small" data-bs-toggle="collapse" href="#cdiff-{{ record.event.pgh_slug|slugify }}" role="button">'
        'View difference</a><div class="collapse text-start" id="cdiff-{{ record.event.pgh_slug|slugify }}">'
        '<pre class="small mb-0 cx-diff">{{ record.diff }}</pre></div>', verbose_name="",
        attrs={"td": {"class": "text-end"}})

    class Meta:
        orderable = False
        attrs = {"class": "table table-sm align-top small mb-0", "id": "customer-audit"}
        row_attrs = {"data-event": lambda record: record["event"].pgh_slug}
        empty_text = "No changes recorded since creation."
