from django.apps import AppConfig


class NumberblocksConfig(AppConfig):
    name = "numberblocks"
    verbose_name = "Internal number blocks"

    def ready(self):
        from connex.registry import CardSection, register_main_section

        from .views import section_context

        register_main_section(CardSection("number_blocks", "numberblocks/partials/section_blocks.html",
                                          order=20, context=section_context,
                                          permission="numberblocks.view_numberblock"))
