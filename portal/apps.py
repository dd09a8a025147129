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
        from customers.models import PortalSection

        from .panel_views import clis_section_context

        register_portal_nav(PortalNavItem("", "Dashboard", "portal:dashboard", order=0))
        register_portal_nav(PortalNavItem(PortalSection.SIP_USERS, "SIP users", "portal:sip_users", order=60))
        register_portal_nav(PortalNavItem(PortalSection.RATES, "Rates", "portal:rates", order=65))
        register_portal_nav(PortalNavItem(PortalSection.DIDS, "DIDs and packages", "portal:dids", order=70))
        register_portal_nav(PortalNavItem(PortalSection.ALERTS, "Alerts", "portal:alerts", order=75))
        register_portal_nav(PortalNavItem(PortalSection.CONTACTS, "Contacts", "portal:contacts", order=80))
        register_main_section(CardSection("clis", "portal/partials/section_clis.html", order=60,
                                          context=clis_section_context, permission="customers.view_approvedcli"))
