from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "routing"

    def ready(self):
        from connex.registry import CardTab, register_card_tab

        from .views import routing_tab_context

        register_card_tab(CardTab("routing", "Routing", "routing/partials/tab_routing.html", order=20,
                                  context=routing_tab_context, permission="routing.view_ingressroute"))
