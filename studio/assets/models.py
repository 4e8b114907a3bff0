from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AssetRole(models.TextChoices):
    PRODUCT = "product", _("Product")
    REFERENCE = "reference", _("Reference")
    BACKGROUND = "background", _("Background")
    MASK = "mask", _("Mask")
    MODEL = "model", _("Model")
    GARMENT = "garment", _("Garment")


class Asset(models.Model):
    """An uploaded image of a project. Its file never changes: the content hash names it."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="assets")
    role = models.CharField(_("role"), max_length=16, choices=AssetRole.choices, default=AssetRole.PRODUCT)
    original_name = models.CharField(_("file name"), max_length=255)
    file = models.FileField(max_length=255)
    thumbnail = models.FileField(max_length=255)
    content_type = models.CharField(max_length=32)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    byte_size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "sha256"], name="asset_unique_content_in_project"),
        ]
        indexes = [models.Index(fields=["project", "role", "-created_at"], name="asset_project_role_recent")]

    def __str__(self) -> str:
        return self.original_name

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1_000_000
