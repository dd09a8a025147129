from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "routing"

    def ready(self):
        from connex.registry import CardTab, register_card_tab, register_demo_loader

        from .demo import load_demo_rated_calls
        from .views import routing_tab_context

        register_card_tab(CardTab("routing", "Routing", "routing/partials/tab_routing.html", order=20,
                                  context=routing_tab_context, permission="routing.view_ingressroute"))
        register_demo_loader(35, load_demo_rated_calls)  # after the priced demo CDRs (30)

        from . import signals

        signals.connect()
