from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Project(models.Model):
    """A named workspace of a team: its assets, and later its runs and outputs."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(_("name"), max_length=120)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "team", name="project_name_unique_in_team"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class PromptPreset(models.Model):
    """A prompt the team reuses in a project's composer, under a name."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="presets")
    name = models.CharField(_("name"), max_length=80)
    text = models.TextField(_("prompt"), max_length=4000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = [Lower("name")]
        constraints = [models.UniqueConstraint(Lower("name"), "project", name="preset_name_unique_in_project")]

    def __str__(self) -> str:
        return self.name
