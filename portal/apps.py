from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"

    def ready(self):
        from connex.registry import (
            CardSection,
            PortalNavItem,
            register_main_section,
            register_portal_nav,
        )

        from .panel_views import clis_section_context

        register_portal_nav(PortalNavItem("", "Dashboard", "portal:dashboard", order=0))
        register_main_section(CardSection("clis", "portal/partials/section_clis.html", order=60,
                                          context=clis_section_context, permission="customers.view_approvedcli"))
