from django.apps import AppConfig


class SipauthConfig(AppConfig):
    name = "sipauth"
    verbose_name = "SIP and IP authentication"

    def ready(self):
        from connex.registry import CardTab, register_card_tab
        from numberblocks.usage import register_extension_usage

        from .services import extensions_in_block
        from .views import auth_tab_context

        register_card_tab(CardTab("auth", "Authentication", "sipauth/partials/tab_auth.html", order=30,
                                  context=auth_tab_context))
        register_extension_usage(extensions_in_block)
