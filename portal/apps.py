from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"

    def ready(self):
        from connex.registry import PortalNavItem, register_portal_nav

        register_portal_nav(PortalNavItem("", "Dashboard", "portal:dashboard", order=0))
