from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "studio.console"
    verbose_name = "Admin console"
