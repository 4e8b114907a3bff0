from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    name = "studio.simulator"
    verbose_name = "Vendor simulator"
