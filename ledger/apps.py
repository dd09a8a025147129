from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ledger"

    def ready(self):
        from connex.registry import (
            register_daily_spend_source,
            register_delete_guard,
            register_demo_loader,
        )

        from .demo import load_demo_opening_balances
        from .selectors import customer_day_spend

        register_daily_spend_source(customer_day_spend)
        register_delete_guard(customers_with_ledger_entries)
        # After customers (10), before anything that moves balances (CDRs 30, payments 40).
        register_demo_loader(15, load_demo_opening_balances)


def customers_with_ledger_entries(customer_ids):
    from .models import LedgerEntry

    found = LedgerEntry.objects.filter(customer_id__in=customer_ids).values_list("customer_id", flat=True).distinct()
    return {cid: "has balance history (ledger entries)" for cid in found}
