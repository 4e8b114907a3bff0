from django.contrib import admin

from studio.assets.models import Asset


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ["original_name", "project", "role", "width", "height", "created_at"]
    list_filter = ["role"]
    search_fields = ["original_name", "sha256"]
    raw_id_fields = ["project", "uploaded_by"]
