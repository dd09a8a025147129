from django.core.management.base import BaseCommand

from ledger.services import ledger_differences


class Command(BaseCommand):
    help = "Compare every customer's cached balance with the sum of its ledger entries and report differences."

    def handle(self, *args, **options):
        differences = ledger_differences()
        for row in differences:
            self.stdout.write(f"#{row['customer_id']} {row['name']}: balance {row['balance']:.6f}, "
                              f"ledger {row['expected']:.6f}, difference {row['difference']:+.6f}")
        style = self.style.SUCCESS if not differences else self.style.WARNING
        self.stdout.write(style(f"{len(differences)} balance difference(s)."))
