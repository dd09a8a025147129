from django.apps import AppConfig


class NumberblocksConfig(AppConfig):
    name = "numberblocks"
