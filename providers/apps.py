from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "providers"

    def ready(self):
        from connex.registry import register_demo_loader

        from .demo import load_demo_routing

        register_demo_loader(50, load_demo_routing)
