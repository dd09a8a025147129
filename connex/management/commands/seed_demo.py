from django.core.management.base import BaseCommand
from django.db import transaction

from connex.audit import system_context
from connex.registry import registry


class Command(BaseCommand):
    help = "Load demo data (customers, contacts and what each app adds). Safe to run again."

    def handle(self, *args, **options):
        for _, loader in registry.demo_loaders:
            # Each loader commits on its own, and the audit log names the command as the actor.
            with transaction.atomic(), system_context("manage.py seed_demo", command="seed_demo"):
                loader(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
