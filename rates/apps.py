from django.apps import AppConfig


class RatesConfig(AppConfig):
    name = "rates"

    def ready(self):
        from connex.registry import NavItem, register_nav

        register_nav(NavItem("Rate cards", "rates:card_list", order=30, icon="currency-exchange",
                             permission="rates.view_ratecard"))
