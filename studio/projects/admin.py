from django.contrib import admin

from studio.projects.models import Project


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "created_at", "archived_at"]
    list_filter = ["team"]
    search_fields = ["name"]
