from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from studio.core.views import healthz, healthz_live

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="projects:list", permanent=False)),
    path("healthz", healthz, name="healthz"),  # readiness: database, broker, storage
    path("healthz/live", healthz_live, name="healthz_live"),  # liveness: the process answers
    path("", include("studio.accounts.urls")),
    path("projects/", include("studio.projects.urls")),
    path("", include("studio.assets.urls")),
    path("", include("studio.runs.urls")),
    path("", include("studio.review.urls")),
    path("console/", include("studio.console.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("django-admin/", admin.site.urls),
]
