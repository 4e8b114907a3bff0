"""Signed, expiring URLs through which a vendor fetches exactly one input image, and nothing else."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from studio.assets.models import Asset
from studio.core.files import is_local

SALT = "studio.assets.vendor-input"


def asset_vendor_url(asset: Asset, *, max_age: int | None = None) -> str:
    """A URL to the asset's original that works for `max_age` seconds without signing in."""
    max_age = max_age or settings.INPUT_URL_MAX_AGE_SECONDS
    storage = asset.file.storage
    if not is_local(storage):  # S3 and friends presign their own URLs
        return storage.url(asset.file.name, expire=max_age)
    token = signing.dumps({"asset": asset.pk, "max_age": max_age}, salt=SALT)
    extension = asset.file.name.rsplit(".", 1)[-1]
    path = reverse("assets:vendor_input", args=[token, f"input.{extension}"])
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


def asset_from_token(token: str) -> Asset | None:
    """The asset a token names, or None when the token is forged, altered or expired."""
    try:
        unsigned = signing.loads(token, salt=SALT)
        signing.loads(token, salt=SALT, max_age=int(unsigned["max_age"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    return Asset.objects.filter(pk=unsigned["asset"]).only("file", "content_type").first()
