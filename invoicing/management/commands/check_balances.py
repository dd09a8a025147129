from django.core.management.base import BaseCommand

from invoicing.services import balance_differences


class Command(BaseCommand):
    help = "Recompute every balance from completed payments minus CDR charges and report differences."

    def handle(self, *args, **options):
        differences = balance_differences()
        for row in differences:
            self.stdout.write(f"#{row['customer_id']} {row['name']}: balance {row['balance']:.6f}, "
                              f"expected {row['expected']:.6f}, difference {row['difference']:+.6f}")
        style = self.style.SUCCESS if not differences else self.style.WARNING
        self.stdout.write(style(f"{len(differences)} balance difference(s)."))
        return None
