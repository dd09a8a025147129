import json

from django.conf import settings
from django.core.management.base import BaseCommand
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask


class Command(BaseCommand):
    help = "Write settings.PERIODIC_TASKS into django-celery-beat (keeps whether staff paused each one)."

    def handle(self, *args, **options):
        for name, spec in settings.PERIODIC_TASKS.items():
            defaults = {"task": spec["task"], "kwargs": json.dumps(spec.get("kwargs", {})),
                        "description": spec.get("description", "")}
            if "every_seconds" in spec:
                schedule, _ = IntervalSchedule.objects.get_or_create(every=spec["every_seconds"],
                                                                     period=IntervalSchedule.SECONDS)
                defaults.update(interval=schedule, crontab=None)
            else:
                minute, hour, day_of_month, month, day_of_week = spec["crontab"].split()
                schedule, _ = CrontabSchedule.objects.get_or_create(
                    minute=minute, hour=hour, day_of_month=day_of_month, month_of_year=month,
                    day_of_week=day_of_week, timezone="UTC")
                defaults.update(crontab=schedule, interval=None)
            task, created = PeriodicTask.objects.update_or_create(name=name, defaults=defaults)
            self.stdout.write(f"{'created' if created else 'updated'} {name} ({'on' if task.enabled else 'paused'})")
