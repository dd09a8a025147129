from django.apps import AppConfig


class SummariesConfig(AppConfig):
    name = "summaries"

    def ready(self):
        from connex.registry import (
            CardSection,
            CardTab,
            HealthCheck,
            PortalNavItem,
            SettingsSection,
            register_card_tab,
            register_delete_guard,
            register_demo_loader,
            register_health_check,
            register_main_section,
            register_portal_nav,
            register_settings_section,
        )
        from customers.models import PortalSection

        from .demo import load_demo_cdrs
        from .views import stats_tab_context, summary_section_context

        register_delete_guard(customers_with_call_records)
        register_main_section(CardSection("summary", "summaries/partials/section_summary.html", order=30,
                                          context=summary_section_context,
                                          permission="summaries.view_hourlysummary"))
        register_card_tab(CardTab("stats", "Stats", "summaries/partials/tab_stats.html", order=30,
                                  context=stats_tab_context, permission="summaries.view_hourlysummary"))
        register_settings_section(SettingsSection("Rebuild summaries", "summaries:rebuild",
                                                  "Recompute hourly summaries of a date range from the CDRs.",
                                                  order=60, permission="summaries.rebuild_summaries"))
        register_settings_section(SettingsSection("CDR retention", "summaries_settings:retention",
                                                  "Days of raw CDRs kept; older days are dropped whole.",
                                                  order=61, permission="summaries.change_cdrretentionoptions"))
        register_settings_section(SettingsSection("CDR imports", "summaries:cdr_import_list",
                                                  "Every CDR file, API call and switch batch imported, and what "
                                                  "it charged.", order=62, permission="summaries.view_cdrimport"))
        register_portal_nav(PortalNavItem(PortalSection.SUMMARIES, "Summaries", "summaries_portal:summaries", order=30))
        register_portal_nav(PortalNavItem(PortalSection.CDRS, "CDRs", "summaries_portal:cdrs", order=31))
        register_demo_loader(30, load_demo_cdrs)
        from .selectors import rollup_queue_health, set_aside_hours_health

        register_health_check(HealthCheck("rollup_queue", "Rollup queue", rollup_queue_health, order=50))
        register_health_check(HealthCheck("rollup_set_aside", "Hours set aside by the rollup",
                                          set_aside_hours_health, order=51))


def customers_with_call_records(customer_ids):
    from .models import CallDetailRecord

    found = CallDetailRecord.objects.filter(customer_id__in=customer_ids).values_list(
        "customer_id", flat=True).distinct()
    return {cid: "has call records (CDRs), which are financial history" for cid in found}
