from django.apps import AppConfig


class PortalDomainsConfig(AppConfig):
    name = "portaldomains"
    verbose_name = "Portal domains"

    def ready(self):
        from connex.registry import SettingsSection, register_demo_loader, register_settings_section

        from . import demo

        register_settings_section(SettingsSection("Portal domains", "portaldomains:domain_list",
                                                  "Branded portal addresses: name, logo, colours, support and "
                                                  "what each offers.", order=25,
                                                  permission="portaldomains.view_portaldomain"))
        register_demo_loader(12, demo.load_demo_domains)
