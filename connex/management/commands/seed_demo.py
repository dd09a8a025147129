from django.core.management.base import BaseCommand
from django.db import transaction

from connex.registry import registry


class Command(BaseCommand):
    help = "Load demo data (customers, contacts and what each app adds). Safe to run again."

    def handle(self, *args, **options):
        for _, loader in registry.demo_loaders:
            with transaction.atomic():
                loader(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
