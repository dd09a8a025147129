"""Demo ledger for `manage.py seed_demo`: the demo customers' starting balances as opening entries."""


def load_demo_opening_balances(stdout):
    from .services import ledger_record_opening

    count = ledger_record_opening(description="Opening balance (demo)")
    stdout.write(f"Ledger: {count} opening entries.")
