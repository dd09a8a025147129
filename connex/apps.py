from django.apps import AppConfig


class ConnexConfig(AppConfig):
    name = "connex"
    verbose_name = "Connex core"
