from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "providers"

    def ready(self):
        from connex.registry import NavItem, register_demo_loader, register_nav

        from .demo import load_demo_routing

        register_demo_loader(50, load_demo_routing)
        register_nav(NavItem("Providers", "providers:provider_list", order=45, icon="diagram-3",
                             permission="providers.view_provider"))
