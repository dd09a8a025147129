from django.apps import AppConfig


class PackagesConfig(AppConfig):
    name = "packages"

    def ready(self):
        from connex.registry import (
            CardTab,
            SettingsSection,
            register_card_tab,
            register_demo_loader,
            register_invoice_line_source,
            register_rating_hook,
            register_settings_section,
        )

        from .demo import load_demo_packages
        from .services import (
            free_minutes_apply_import,
            free_minutes_apply_recalc,
            package_invoice_lines,
        )
        from .views import packages_tab_context

        register_card_tab(CardTab("packages", "Packages", "packages/partials/tab_packages.html", order=70,
                                  context=packages_tab_context, permission="packages.view_packagesubscription"))
        register_settings_section(SettingsSection(
            "Packages", "packages:package_list", "Recurring charges and free-minute bundles sold by the period.",
            order=40, permission="packages.view_package"))
        register_rating_hook("import", free_minutes_apply_import)
        register_rating_hook("recalc", free_minutes_apply_recalc)
        register_invoice_line_source(package_invoice_lines)
        register_demo_loader(70, load_demo_packages)
