from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"

    def ready(self):
        from connex.registry import (
            CardSection,
            CardTab,
            NavItem,
            register_card_tab,
            register_demo_loader,
            register_main_section,
            register_nav,
        )

        from .demo import load_demo_customers
        from .views import main_tab_context, pending_changes_context

        register_nav(NavItem("Customers", "customers:customer_list", order=10, icon="people", permission="customers.view_customer"))
        register_nav(NavItem("Settings", "settings", order=900, icon="gear"))
        register_card_tab(CardTab("main", "Main", "customers/partials/tab_main.html", order=0,
                                  context=main_tab_context, permission="customers.view_customer"))
        register_main_section(CardSection("details", "customers/partials/section_details.html", order=900))
        register_demo_loader(10, load_demo_customers)
        register_nav(NavItem("Delayed changes", "delayed_change_list", order=75, icon="clock-history",
                             permission="customers.view_delayedchange"))
        register_main_section(CardSection("delayed_changes", "customers/partials/section_delayed_changes.html",
                                          order=5, context=pending_changes_context,
                                          permission="customers.view_delayedchange"))

