from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"

    def ready(self):
        from connex.registry import CardTab, NavItem, register_card_tab, register_nav

        from .views import customer_audit_context

        register_nav(NavItem("Audit log", "audit:event_list", order=800, icon="journal-text", permission="pghistory.view_events"))
        register_card_tab(CardTab("audit", "Audit log", "audit/partials/tab_audit.html", order=900,
                                  context=customer_audit_context, permission="pghistory.view_events"))
