"""Vendors' own catalogues (lingtu's model faces and backgrounds), fetched by the studio and kept a while:
the composer must not wait on the vendor every time, and the browser never talks to a vendor."""

import io
from dataclasses import asdict

from django.core.cache import cache
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from studio.vendors.base import VendorError
from studio.vendors.crypto import DecryptionFailed
from studio.vendors.models import VendorAccount

CATALOGUE_SECONDS = 600
IMAGE_MAX_BYTES = 5 * 1024 * 1024


def catalogue_items(account: VendorAccount, kind: str) -> list[dict]:
    """The catalogue `kind` ("faces", "backgrounds") as dicts; empty when the vendor could not be asked."""
    key = f"catalogue:{account.pk}:{kind}"
    items = cache.get(key)
    if items is None:
        try:
            items = [asdict(item) for item in getattr(account.adapter(), kind)()]
        except (VendorError, DecryptionFailed):  # unreachable, or keys to enter again: nothing to offer now
            items = []
        cache.set(key, items, CATALOGUE_SECONDS)
    return items


def catalogue_image(account: VendorAccount, kind: str, item_id: str) -> bytes | None:
    """An item's picture (its preview, else its image); None if the catalogue does not list it."""
    key = f"catalogue-preview:{account.pk}:{kind}:{item_id}"
    content = cache.get(key)
    if content is None:
        items = catalogue_items(account, kind)
        url = next((item.get("preview") or item.get("image") for item in items if item.get("id") == item_id), None)
        if not url:
            return None
        content = account.adapter().http.download(url, max_bytes=IMAGE_MAX_BYTES)  # VendorError: the caller's
        cache.set(key, content, CATALOGUE_SECONDS)
    return content


def catalogue_choice_errors(account: VendorAccount, values: dict[str, str], canvas: tuple[int, int]) -> dict[str, str]:
    """Choices the vendor's catalogues do not list, and a catalogue background that does not fit the canvas.
    A catalogue that cannot be read now blocks nothing: the worker meets the vendor's own answer."""
    errors = {}
    for param, kind in account.adapter_type.catalogues.items():
        chosen = str(values.get(param) or "").strip()
        items = catalogue_items(account, kind) if chosen else []
        if not items:
            continue
        if chosen not in {item.get("id") for item in items}:
            errors[param] = _("Not in the vendor's list any more: pick one from the list.")
        elif kind == "backgrounds" and (size := _image_size(account, kind, chosen)) and size != canvas:
            errors[param] = _(
                "This background is %(w)d×%(h)d but the canvas is %(cw)d×%(ch)d: set the canvas to %(w)d×%(h)d "
                "or pick another background."
            ) % {"w": size[0], "h": size[1], "cw": canvas[0], "ch": canvas[1]}
    return errors


def _image_size(account: VendorAccount, kind: str, item_id: str) -> tuple[int, int] | None:
    try:
        content = catalogue_image(account, kind, item_id)
        if content is None:
            return None
        with Image.open(io.BytesIO(content)) as picture:
            return picture.size
    except (VendorError, UnidentifiedImageError, OSError):
        return None
