"""Runs, tasks and outputs made directly (no worker, no vendor): small real image files in storage."""

import itertools

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image, ImageDraw

from studio.assets.ingest import asset_ingest
from studio.runs.models import Output, OutputKind, Run, RunState, Task
from studio.vendors.models import Offering, VendorAccount
from studio.vendors.services import offerings_load
from tests import images
from tests.images import upload

_keys = itertools.count(1)


def offering(kind: str, operation: str) -> Offering:
    account = VendorAccount.objects.filter(kind=kind).first()
    if account is None:
        account = VendorAccount.objects.create(kind=kind, name=kind, base_url="https://vendor.invalid")
        offerings_load(account=account)
    return Offering.objects.filter(account=account, operation=operation).first()


def product(project, name: str, colour=(200, 40, 40), user=None, picture=None):
    data = images.encode(picture or Image.new("RGB", (64, 80), colour), "PNG")
    return asset_ingest(project=project, upload=upload(name, data, "image/png"), user=user).asset


def make_run(project, *, kind="imagewash", operation="wash", params=None, user=None) -> Run:
    return Run.objects.create(
        project=project,
        offering=offering(kind, operation),
        operation=operation,
        params={"prompt": "on a sunny terrace"} if params is None else params,
        state=RunState.SUCCEEDED,
        created_by=user,
        finished_at=timezone.now(),
    )


def make_task(run: Run, *, points=4) -> Task:
    n = next(_keys)
    return Task.objects.create(
        run=run,
        account=run.offering.account,
        index=run.tasks.count(),
        idempotency_key=f"test-{n}",
        request={},
        outputs_expected=1,
        points_per_output=points,
        next_action_at=timezone.now(),
    )


def make_output(
    run: Run, *, source=None, state="pending", task=None, kind=OutputKind.IMAGE, colour=None, picture=None
) -> Output:
    """An output with a real file; `picture` (a PIL image) makes it look like one, else a tiny flat PNG."""
    task = task or make_task(run)
    index = task.outputs.count()
    n = next(_keys)
    if kind == OutputKind.VECTOR:
        content, extension, content_type, size = (
            b"%!PS-Adobe-3.0 EPSF\n" + str(n).encode(),
            "eps",
            "application/postscript",
            (None, None),
        )
    else:
        picture = picture or Image.new("RGB", (40, 30), colour or (n % 256, (n * 7) % 256, 90))
        content = images.encode(picture, "PNG")
        extension, content_type, size = "png", "image/png", picture.size
    folder = f"projects/{run.project_id}/outputs/{run.pk}"
    name = default_storage.save(f"{folder}/{task.index}-{index}.{extension}", ContentFile(content))
    thumbnail = ""
    if kind != OutputKind.VECTOR:
        thumbnail = default_storage.save(f"{folder}/{task.index}-{index}.thumb.webp", ContentFile(_thumbnail(picture)))
    return Output.objects.create(
        run=run,
        project_id=run.project_id,
        task=task,
        index=index,
        kind=kind,
        source_asset=source,
        file=name,
        thumbnail=thumbnail,
        content_type=content_type,
        width=size[0],
        height=size[1],
        byte_size=len(content),
        sha256=f"{n:064d}",
        review_state=state,
    )


def _thumbnail(picture) -> bytes:
    if picture is None or max(picture.size) <= 64:
        return images.encode(Image.new("RGB", (8, 6)), "WEBP")
    small = picture.copy()
    small.thumbnail((480, 480))
    return images.encode(small, "WEBP")


def product_photo(colour, label: str = "", size=(360, 450), background=(246, 244, 240)) -> Image.Image:
    """A product-like picture: a garment shape on a plain background, for pages a person looks at."""
    picture = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(picture)
    w, h = size
    draw.polygon(
        [(w * 0.3, h * 0.15), (w * 0.7, h * 0.15), (w * 0.9, h * 0.3), (w * 0.8, h * 0.4), (w * 0.72, h * 0.35),
         (w * 0.72, h * 0.85), (w * 0.28, h * 0.85), (w * 0.28, h * 0.35), (w * 0.2, h * 0.4), (w * 0.1, h * 0.3)],
        fill=colour,
    )  # fmt: skip
    if label:
        draw.text((w * 0.08, h * 0.9), label, fill=(60, 60, 60))
    return picture
