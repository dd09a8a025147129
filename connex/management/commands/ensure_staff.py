from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from connex.passwords import password_generate


class Command(BaseCommand):
    help = "Create the first staff superuser if missing, printing its generated password."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--reset", action="store_true", help="Set a new password if the user exists.")

    def handle(self, *args, username, reset, **options):
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user and not reset:
            self.stdout.write(f"Staff user “{username}” exists (use --reset for a new password).")
            return
        password = password_generate()
        if user is None:
            user = User.objects.create_superuser(username=username, email=f"{username}@connex.local",
                                                 password=password)
        else:
            user.set_password(password)
            user.save()
        self.stdout.write(self.style.SUCCESS(f"Staff sign-in: {username} / {password}"))
