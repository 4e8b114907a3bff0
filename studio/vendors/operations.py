from django.db import models
from django.utils.translation import gettext_lazy as _


class Operation(models.TextChoices):
    """What a user wants done. Users pick one first, then an offering (vendor + model) that can do it."""

    WASH = "wash", _("Restyle products (wash)")
    TEXT_TO_IMAGE = "text_to_image", _("Text to image")
    IMAGE_TO_IMAGE = "image_to_image", _("Image to image")
    UPSCALE = "upscale", _("Upscale / HD redraw")
    VECTORIZE = "vectorize", _("Vectorize")
    FACE_ENHANCE = "face_enhance", _("Face enhance")
    SEAMLESS_TILE = "seamless_tile", _("Seamless tile")
    REMOVE_FABRIC = "remove_fabric", _("Remove fabric texture")
    AI_EDIT = "ai_edit", _("AI edit")
    EXTRACT_PATTERN = "extract_pattern", _("Extract print pattern")
    REMOVE_RHINESTONES = "remove_rhinestones", _("Remove rhinestones")
    EXPAND = "expand", _("Expand (outpaint)")
    REMOVE_WATERMARK = "remove_watermark", _("Remove watermark")
    CHANGE_BACKGROUND = "change_background", _("Change background")
    AI_MODEL = "ai_model", _("AI fashion model")
    TRY_ON = "try_on", _("Virtual try-on")
