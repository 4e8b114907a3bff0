from django.urls import path

from studio.review import views

app_name = "review"
urlpatterns = [
    path("projects/<int:project_id>/gallery/", views.project_gallery, name="project"),
    path("projects/<int:project_id>/gallery/review/", views.bulk_review, name="bulk"),
    path("projects/<int:project_id>/gallery/approved.zip", views.download_approved, name="download"),
    path("runs/<int:run_id>/gallery/", views.run_gallery, name="run"),
    path("runs/<int:run_id>/gallery/review/", views.run_bulk_review, name="run_bulk"),
    path("review/outputs/<int:output_id>/", views.output_viewer, name="viewer"),
    path("review/outputs/<int:output_id>/state/", views.output_review, name="review"),
    path("review/outputs/<int:output_id>/download/", views.output_download, name="output_download"),
    path("review/outputs/<int:output_id>/more/", views.output_more, name="more"),
]
