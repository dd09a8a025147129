from django.apps import AppConfig


class ConnexConfig(AppConfig):
    name = "connex"
    verbose_name = "Connex core"

    def ready(self):
        from connex.registry import SettingsSection, register_settings_section
        from connex.tables import speed_up_cell_rendering

        speed_up_cell_rendering()

        register_settings_section(SettingsSection(
            "Options", "options", "Company identity, internal number range start and block size.", order=10,
            permission="connex.change_accountoptions"))
