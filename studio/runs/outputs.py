"""Storing a vendor's result file: verified, kept as the bytes received (never re-encoded), thumbnailed."""

import hashlib
import io

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from PIL import Image

from studio.assets.ingest import webp_thumbnail
from studio.assets.models import Asset
from studio.runs.models import Output, OutputKind, Run, Task
from studio.vendors.base import FileKind

THUMBNAIL_SIZE = 480
FORMATS = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg"), "WEBP": ("webp", "image/webp")}


class UnusableFile(Exception):
    """The vendor's file is not what it claims (not an image, truncated): it counts as a missing output."""


def output_store(
    *, task: Task, index: int, kind: FileKind, content: bytes, source_asset: Asset | None = None
) -> Output:
    """Idempotent: a file already stored for (task, index) is returned as it is.

    The caller skips what it knows is stored; a step that lost its claim and stored the same file
    meanwhile is caught by the unique index below (not by a query first: that would cost one per output).
    """
    if kind == FileKind.VECTOR:
        if not content.startswith(b"%!PS"):
            raise UnusableFile("the vector file is not EPS")
        extension, content_type, size, thumbnail = "eps", "application/postscript", (None, None), None
    else:
        extension, content_type, size, thumbnail = _verify_and_thumbnail(content)
    folder = f"projects/{task.run.project_id}/outputs/{task.run_id}"
    name = default_storage.save(f"{folder}/{task.index}-{index}.{extension}", ContentFile(content))
    thumbnail_name = ""
    if thumbnail:
        thumbnail_name = default_storage.save(f"{folder}/{task.index}-{index}.thumb.webp", ContentFile(thumbnail))
    try:
        with transaction.atomic():
            output = Output.objects.create(
                run_id=task.run_id, project_id=task.run.project_id, task=task, index=index, kind=OutputKind(kind.value),
                file=name,
                thumbnail=thumbnail_name, content_type=content_type, width=size[0], height=size[1],
                byte_size=len(content), sha256=hashlib.sha256(content).hexdigest(), source_asset=source_asset,
            )  # fmt: skip
            if output.kind == OutputKind.IMAGE:  # the run page and the runs list show it without counting
                Run.objects.filter(pk=task.run_id).update(images_stored=F("images_stored") + 1)
            return output
    except IntegrityError:  # stored meanwhile by a step that ran after a lost claim
        for stored in (name, thumbnail_name):
            if stored:
                default_storage.delete(stored)
        return Output.objects.get(task=task, index=index)


def _verify_and_thumbnail(content: bytes):
    """Decodes once: checks the bytes are a whole image and makes the thumbnail from that decode."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            image_format, size = image.format, image.size
            if image_format not in FORMATS:
                raise UnusableFile(f"unexpected image format {image_format}")
            if image_format == "JPEG":
                scale = min(1.0, THUMBNAIL_SIZE / max(size))
                image.draft("RGB", (max(1, round(size[0] * scale)), max(1, round(size[1] * scale))))
            image.load()
            thumbnail = webp_thumbnail(image, THUMBNAIL_SIZE)
    except UnusableFile:
        raise
    except Exception as error:  # Pillow raises many kinds for damaged data; all mean the file is unusable
        raise UnusableFile(f"the vendor's file is not a readable image ({type(error).__name__})") from None
    extension, content_type = FORMATS[image_format]
    return extension, content_type, size, thumbnail
