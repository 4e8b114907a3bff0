from django.apps import AppConfig


class PointsConfig(AppConfig):
    name = "studio.points"
