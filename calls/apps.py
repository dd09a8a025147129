from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "calls"
    verbose_name = "Calls"

    def ready(self):
        from connex.registry import (
            CardTab,
            HealthCheck,
            NavItem,
            SettingsSection,
            register_card_tab,
            register_demo_loader,
            register_health_check,
            register_live_channels_source,
            register_nav,
            register_settings_section,
        )

        from .demo import load_demo_switches
        from .selectors import call_events_health
        from .services import live_channels
        from .views import dialogs_context, latest_calls_context

        register_card_tab(CardTab("calls", "Latest Calls", "calls/partials/tab_latest_calls.html", order=60,
                                  context=latest_calls_context, permission="calls.view_callattempt"))
        register_card_tab(CardTab("dialogs", "Dialogs", "calls/partials/tab_dialogs.html", order=65,
                                  context=dialogs_context, permission="calls.view_livecall"))
        register_nav(NavItem("Dialogs", "calls:dialogs", order=45, icon="telephone-outbound",
                             permission="calls.view_livecall"))
        register_settings_section(SettingsSection(
            "Switches", "calls_settings:switch_list", "Kamailio servers: address and JSON-RPC URL for End call.",
            order=45, permission="calls.view_switch"))
        register_settings_section(SettingsSection(
            "Calls", "calls_settings:options", "How long call attempts are kept; CPS spike buffer; expiry of "
            "calls whose end never arrives.", order=46, permission="calls.change_calloptions"))
        register_health_check(HealthCheck("call-events", "Switch call events", call_events_health, order=60))
        register_demo_loader(95, load_demo_switches)
        register_live_channels_source(live_channels)
