from connex.views import ObjectListView

from . import selectors
from .filtersets import EventFilterSet
from .tables import CustomerEventTable, EventTable


class EventListView(ObjectListView):
    permission_required = "pghistory.view_events"
    table_class = EventTable
    filterset_class = EventFilterSet
    title = "Audit log"
    search_placeholder = "Object id"

    def get_queryset(self):
        queryset = selectors.event_list()
        query = self.request.GET.get("q", "").strip()
        return queryset.filter(pgh_obj_id=query) if query else queryset


def customer_audit_context(request, customer):
    events = list(selectors.customer_events(customer=customer)[:200])
    created = next((e for e in reversed(events) if e.pgh_label == "customer.created"
                    and e.pgh_obj_id == str(customer.pk)), None)
    names = dict(selectors.tracked_models())
    rows = [{"event": e, "object": names.get(e.pgh_obj_model, e.pgh_obj_model),
             "actor": selectors.actor_display(e.pgh_context),
             "fields": selectors.event_summary(e), "diff": selectors.event_diff_json(e)}
            for e in events if e is not created]
    return {"audit_table": CustomerEventTable(rows), "audit_created": created,
            "audit_created_by": selectors.actor_display(created.pgh_context) if created else None}
