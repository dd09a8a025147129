from django.apps import AppConfig


class ClirulesConfig(AppConfig):
    name = "clirules"
    verbose_name = "CLI rules"
