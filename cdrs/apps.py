from django.apps import AppConfig


class CdrsConfig(AppConfig):
    name = "cdrs"
    verbose_name = "CDRs and recalc"

    def ready(self):
        from connex.registry import CardTab, register_card_tab, register_demo_loader

        from .demo import load_demo_recalc
        from .views import cdr_tab_context

        register_card_tab(CardTab("cdrs", "CDR", "cdrs/partials/tab_cdrs.html", order=50, context=cdr_tab_context,
                                  permission="summaries.view_calldetailrecord"))
        register_demo_loader(36, load_demo_recalc)  # after the rated demo calls (35)
