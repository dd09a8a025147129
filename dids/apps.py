from django.apps import AppConfig


class DidsConfig(AppConfig):
    name = "dids"
    verbose_name = "DIDs"

    def ready(self):
        from connex.registry import (
            CardTab,
            NavItem,
            register_card_tab,
            register_demo_loader,
            register_inbound_lookup,
            register_nav,
        )

        from .demo import load_demo_dids
        from .selectors import did_for_number
        from .views import did_tab_context

        register_nav(NavItem("DIDs", "dids:did_list", order=47, icon="telephone-inbound",
                             permission="dids.view_did"))
        register_card_tab(CardTab("dids", "DID", "dids/partials/tab_dids.html", order=65,
                                  context=did_tab_context, permission="dids.view_did"))
        register_inbound_lookup(did_for_number)
        register_demo_loader(60, load_demo_dids)
