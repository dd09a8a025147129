from django.core.management.base import BaseCommand

from staff.roles import roles_apply


class Command(BaseCommand):
    help = "Grant the shipped roles (Administrator, Support, ...) the permissions their table gives them."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true",
                            help="Also remove permissions the table does not give (undoes edits made in the panel).")

    def handle(self, *args, reset=False, **options):
        for role, count in roles_apply(reset=reset).items():
            self.stdout.write(f"{role}: {'holds' if reset else 'granted'} {count} permission{'s' if count != 1 else ''}")
