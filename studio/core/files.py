"""Serving stored files: streamed by the app from local storage, or fetched by the browser straight from S3."""

import hashlib

from django.core.cache import cache
from django.http import FileResponse, HttpResponseRedirect


def serve_stored_file(field, content_type: str, *, download_name: str | None = None):
    """Streams a stored file; on storage without local paths (S3) redirects to a short-lived signed URL."""
    if not is_local(field.storage):
        return HttpResponseRedirect(field.storage.url(field.name))
    response = FileResponse(
        open(field.storage.path(field.name), "rb"),  # noqa: SIM115 (FileResponse closes it)
        content_type=content_type,
        as_attachment=download_name is not None,
        filename=download_name or "",
    )
    response["Cache-Control"] = "private, max-age=31536000, immutable"  # stored files never change
    return response


def browser_urls(files: list[tuple]) -> list[str]:
    """For (stored file, app URL) pairs: where the browser fetches each file.

    On local storage, the app URL, whose view checks access and streams the file. On S3, a signed URL
    of the bucket written into the page (its reader may see the page, so may see the file), so showing
    60 thumbnails costs the app no request at all. A signed URL is kept for half its life and handed out
    again meanwhile: the same thumbnail keeps the same URL, so the browser's cached copy is used.
    """
    if not files:
        return []
    storage = files[0][0].storage
    if is_local(storage):
        return [app_url for _field, app_url in files]
    keys = {field.name: _cache_key(storage, field.name) for field, _app_url in files if field}
    known = cache.get_many(list(keys.values()))
    fresh = {}
    for name, key in keys.items():
        if key not in known:
            fresh[key] = storage.url(name)
    if fresh:
        cache.set_many(fresh, timeout=_signed_url_life(storage) // 2)
    signed = {**known, **fresh}
    return [signed[keys[field.name]] if field else app_url for field, app_url in files]


def browser_url(field, app_url: str) -> str:
    return browser_urls([(field, app_url)])[0]


def _cache_key(storage, name: str) -> str:
    """Names repeat between stores (a test database starts its ids at 1 again): the key names the store too."""
    where = "|".join(str(getattr(storage, attribute, "")) for attribute in ("endpoint_url", "bucket_name", "location"))
    return "signed-url:" + hashlib.sha256(f"{where}|{name}".encode()).hexdigest()


def is_local(storage) -> bool:
    """Whether files of `storage` have paths on this machine (S3 and friends have none: they sign URLs)."""
    try:
        storage.path("")
    except NotImplementedError:
        return False
    return True


def _signed_url_life(storage) -> int:
    return int(getattr(storage, "querystring_expire", 3600))
