from django.apps import AppConfig


class NumberblocksConfig(AppConfig):
    name = "numberblocks"
    verbose_name = "Internal number blocks"

    def ready(self):
        from connex.registry import (
            CardSection,
            SettingsSection,
            register_main_section,
            register_settings_section,
        )

        from .views import section_context

        register_main_section(CardSection("number_blocks", "numberblocks/partials/section_blocks.html",
                                          order=20, context=section_context,
                                          permission="numberblocks.view_numberblock"))
        register_settings_section(SettingsSection(
            "Number blocks", "numberblocks_settings:options", "Internal number range start and block size.",
            order=20, permission="numberblocks.change_numberrangeoptions"))
