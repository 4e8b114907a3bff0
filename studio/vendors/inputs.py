from studio.assets.models import Asset
from studio.assets.vendor_urls import asset_vendor_url
from studio.vendors.base import InputImage


def input_image(asset: Asset, *, role: str | None = None, options: dict | None = None) -> InputImage:
    """An asset as a vendor input: a signed URL for URL vendors, the file itself for upload vendors."""
    return InputImage(
        role=role or asset.role,
        url=asset_vendor_url(asset),
        name=asset.original_name,
        content_type=asset.content_type,
        open=lambda: asset.file.storage.open(asset.file.name, "rb"),
        options=options or {},
    )
