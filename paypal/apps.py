from django.apps import AppConfig


class PaypalConfig(AppConfig):
    name = "paypal"
    verbose_name = "PayPal"

    def ready(self):
        from connex.registry import (
            NavItem,
            PortalNavItem,
            SettingsSection,
            register_demo_loader,
            register_nav,
            register_portal_nav,
            register_settings_section,
        )
        from customers.models import PortalSection

        from . import demo
        from .portal import paypal_offered

        register_settings_section(SettingsSection("PayPal", "paypal_settings:options",
                                                  "PayPal top-ups: the company's PayPal email and exchange rates.",
                                                  order=35, permission="paypal.change_paypaloptions"))
        register_settings_section(SettingsSection("PayPal IPNs", "paypal:ipn_list",
                                                  "Every payment notification PayPal sent, and what it credited.",
                                                  order=36, permission="paypal.view_paypalipn"))
        register_nav(NavItem("PayPal", "paypal:ipn_list", order=46, icon="paypal",
                             permission="paypal.view_paypalipn"))
        register_portal_nav(PortalNavItem(PortalSection.PAYMENTS, "Top up", "paypal_portal:topup", order=46,
                                          available=paypal_offered))
        register_demo_loader(45, demo.load_demo_paypal)
