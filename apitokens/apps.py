from django.apps import AppConfig


class ApiTokensConfig(AppConfig):
    name = "apitokens"
    verbose_name = "API tokens"

    def ready(self):
        from connex.registry import SettingsSection, register_demo_loader, register_settings_section

        from . import cache, schema  # noqa: F401 - schema registers the authentication scheme with drf-spectacular
        from .demo import load_demo_tokens

        register_settings_section(SettingsSection(
            "API tokens", "apitokens:token_list", "Keys for the REST API, each with its scopes.", order=60))
        register_demo_loader(90, load_demo_tokens)
        cache.connect()
