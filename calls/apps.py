from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "calls"
    verbose_name = "Calls"

    def ready(self):
        from connex.registry import CardTab, register_card_tab

        from .views import latest_calls_context

        register_card_tab(CardTab("calls", "Latest Calls", "calls/partials/tab_latest_calls.html", order=60,
                                  context=latest_calls_context, permission="calls.view_callattempt"))
