from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"

    def ready(self):
        from connex.registry import (
            CardTab,
            SettingsSection,
            register_card_tab,
            register_demo_loader,
            register_settings_section,
        )

        from .demo import load_demo_alerts
        from .views import alerts_tab_context

        register_card_tab(CardTab("alerts", "Alerts", "alerts/partials/tab_alerts.html", order=50,
                                  context=alerts_tab_context, permission="alerts.view_alert"))
        register_settings_section(SettingsSection("Alerts", "alerts_settings:options",
                                                  "The default low-balance alert every customer gets.", order=35,
                                                  permission="alerts.change_alertoptions"))
        # After the demo calls (30) and invoices/payments (40), so values and states are realistic.
        register_demo_loader(60, load_demo_alerts)
