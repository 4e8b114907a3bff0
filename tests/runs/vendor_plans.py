"""One small job per vendor, for tests that run the same story through every vendor."""

import io

from PIL import Image

from studio.assets.ingest import asset_ingest
from studio.runs.services import PlannedCall, PlannedInput, runs_submit
from studio.vendors.models import Offering
from tests.images import upload

# The path of each vendor's submit call, so a fault can be aimed at it alone.
SUBMIT_PATHS = {
    "imagewash": "/imageWash/generate",
    "imagetasks": "/v1/images/tasks",  # also the start of the poll path: aim with times=1 (the submit comes first)
    "hdredraw": "/api/submit_task",
    "suchuang": "/tasks/submit",
    "lingtu": "/aigc/synthesis/dress",
}
KINDS = tuple(SUBMIT_PATHS)


def png(size, colour, mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def image(project, staff, name, colour, role="product", size=(320, 400)):
    return asset_ingest(project=project, upload=upload(name, png(size, colour)), user=staff, role=role).asset


def one_job(kind: str, accounts, project, staff, *, number: int = 0, prompt: str = "a clean studio product photo"):
    """A run of one vendor task of `kind`; `number` makes its inputs and prompt differ from other runs'."""
    colour = (40 + number * 7 % 200, 90, 160)
    prompt = f"{prompt} {number}"
    if kind == "imagewash":
        product = image(project, staff, f"wash-{number}.png", colour)
        offering, call = (
            _offering(accounts, kind, "wash", "nanoBanana2"),
            PlannedCall({"prompt": prompt, "count": 1, "resolution": "1k"}, (PlannedInput(product, "product"),)),
        )
    elif kind == "imagetasks":
        offering, call = _offering(accounts, kind, "text_to_image", "NanoBanana2-1K"), PlannedCall({"prompt": prompt})
    elif kind == "hdredraw":
        product = image(project, staff, f"upscale-{number}.png", colour)
        offering, call = _offering(accounts, kind, "upscale"), PlannedCall({}, (PlannedInput(product, "product"),))
    elif kind == "suchuang":
        offering = _offering(accounts, kind, "text_to_image", "sc_soraimg_text_1x1")
        call = PlannedCall({"prompt": prompt})
    else:
        model = image(project, staff, f"model-{number}.png", colour, "model", (400, 600))
        garment = image(project, staff, f"shirt-{number}.png", (20, 120, 60), "garment", (300, 300))
        offering = _offering(accounts, kind, "try_on")
        call = PlannedCall({}, (PlannedInput(model, "model"), PlannedInput(garment, "garment", {"type": "upperBody"})))
    return runs_submit(project=project, offering=offering, user=staff, calls=[call])


def _offering(accounts, kind, operation, model=""):
    return Offering.objects.get(account=accounts[kind], operation=operation, model=model)
