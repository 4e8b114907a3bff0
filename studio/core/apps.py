from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "studio.core"
    verbose_name = "Studio"
