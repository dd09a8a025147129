from django.apps import AppConfig


class ApiTokensConfig(AppConfig):
    name = "apitokens"
    verbose_name = "API tokens"

    def ready(self):
        from connex.registry import SettingsSection, register_settings_section

        from . import schema  # noqa: F401 - registers the authentication scheme with drf-spectacular

        register_settings_section(SettingsSection(
            "API tokens", "apitokens:token_list", "Keys for the REST API, each with its scopes.", order=60))
