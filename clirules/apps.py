from django.apps import AppConfig


class ClirulesConfig(AppConfig):
    name = "clirules"
    verbose_name = "CLI rules"

    def ready(self):
        from connex.registry import CardTab, register_card_tab

        from .views import cli_tab_context

        register_card_tab(CardTab("cli", "CLI", "clirules/partials/tab_cli.html", order=25,
                                  context=cli_tab_context, permission="clirules.view_clirule"))
