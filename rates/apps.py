from django.apps import AppConfig


class RatesConfig(AppConfig):
    name = "rates"

    def ready(self):
        from connex.registry import NavItem, register_demo_loader, register_nav

        from .demo import load_demo_rate_cards

        register_nav(NavItem("Rate cards", "rates:card_list", order=30, icon="currency-exchange",
                             permission="rates.view_ratecard"))
        register_demo_loader(20, load_demo_rate_cards)  # after customers (10), before calls (30)
