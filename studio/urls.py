from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from studio.core.views import healthz

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="projects:list", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("", include("studio.accounts.urls")),
    path("projects/", include("studio.projects.urls")),
    path("", include("studio.assets.urls")),
    path("", include("studio.runs.urls")),
    path("", include("studio.review.urls")),
    path("console/", include("studio.console.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("django-admin/", admin.site.urls),
]
