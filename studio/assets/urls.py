from django.urls import path

from studio.assets import views

app_name = "assets"
urlpatterns = [
    path("projects/<int:project_id>/assets/upload/", views.asset_upload, name="upload"),
    path("projects/<int:project_id>/assets/bulk/", views.asset_bulk, name="bulk"),
    path("assets/<int:asset_id>/thumbnail/", views.asset_thumbnail, name="thumbnail"),
    path("assets/<int:asset_id>/original/", views.asset_original, name="original"),
    path("vendor-inputs/<str:token>/<str:filename>", views.asset_vendor_input, name="vendor_input"),
]
