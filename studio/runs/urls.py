from django.urls import path

from studio.runs import activity, views

app_name = "runs"
urlpatterns = [
    path("projects/<int:project_id>/compose/", views.compose, name="compose"),
    path("projects/<int:project_id>/compose/estimate/", views.estimate, name="estimate"),
    path("projects/<int:project_id>/compose/submit/", views.submit, name="submit"),
    path("projects/<int:project_id>/presets/", views.preset_save, name="preset_save"),
    path("projects/<int:project_id>/presets/<int:preset_id>/delete/", views.preset_delete, name="preset_delete"),
    path("projects/<int:project_id>/runs/", views.run_list, name="list"),
    path("projects/<int:project_id>/runs/retry-failed/", views.project_retry, name="project_retry"),
    path("activity/", activity.activity, name="activity"),
    path("activity/notices/", activity.run_notices, name="notices"),
    path("runs/<int:run_id>/", views.run_detail, name="detail"),
    path("runs/<int:run_id>/progress/", views.run_progress, name="progress"),
    path("runs/<int:run_id>/cancel/", views.run_cancel, name="cancel"),
    path("runs/<int:run_id>/retry/", views.run_retry, name="retry"),
    path("runs/<int:run_id>/resend-uncertain/", views.run_resend_uncertain, name="resend_uncertain"),
    path("outputs/<int:output_id>/<str:variant>/", views.output_file, name="output"),
    path(
        "vendor-catalogues/<int:account_id>/<str:kind>/<str:item_id>/",
        views.catalogue_preview,
        name="catalogue_preview",
    ),
]
