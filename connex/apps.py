from django.apps import AppConfig


class ConnexConfig(AppConfig):
    name = "connex"
    verbose_name = "Connex core"

    def ready(self):
        from connex.health import register_core_health_checks
        from connex.registry import SettingsSection, register_settings_section
        from connex.tables import speed_up_cell_rendering

        speed_up_cell_rendering()
        register_core_health_checks()

        register_settings_section(SettingsSection(
            "Company", "company_settings", "Name, address and email printed on invoices and emails.", order=10,
            permission="connex.change_accountoptions"))
        register_settings_section(SettingsSection(
            "Sign-in lockouts", "signin_lockouts", "Staff sign-ins locked after repeated failures; lift them.",
            order=80, permission="axes.view_accessattempt"))
        register_settings_section(SettingsSection(
            "System health", "system_health", "Database, Redis, worker, scheduler, rollup queue, failures.",
            order=5))
