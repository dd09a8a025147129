from django.apps import AppConfig


class SipauthConfig(AppConfig):
    name = "sipauth"
    verbose_name = "SIP and IP authentication"

    def ready(self):
        from connex.registry import CardTab, register_card_tab, register_demo_loader
        from numberblocks.usage import register_extension_usage

        from .demo import load_demo_auth
        from .services import extensions_in_block
        from .views import auth_tab_context

        register_card_tab(CardTab("auth", "Authentication", "sipauth/partials/tab_auth.html", order=30,
                                  context=auth_tab_context, permission="sipauth.view_sipuser"))
        register_extension_usage(extensions_in_block)
        register_demo_loader(40, load_demo_auth)
