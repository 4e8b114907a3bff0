from dataclasses import dataclass

import pytest

from studio.runs.models import Output, OutputKind, Run
from tests.review.factories import make_output, make_run, product


@dataclass
class Gallery:
    """A project with outputs from three runs on three vendors: two products, and a text-to-image run."""

    shirt: object
    dress: object
    wash: Run  # imagewash: 2 outputs per product
    upscale: Run  # hdredraw: 1 output per product
    text: Run  # imagetasks text to image: 2 outputs, no product
    outputs: dict[str, Output]


@pytest.fixture
def gallery(project, staff):
    shirt = product(project, "Red shirt.png", (200, 40, 40), staff)
    dress = product(project, "Blue dress.png", (40, 40, 200), staff)
    wash = make_run(project, kind="imagewash", operation="wash", user=staff)
    upscale = make_run(project, kind="hdredraw", operation="upscale", params={"scale": 2}, user=staff)
    text = make_run(project, kind="imagetasks", operation="text_to_image", params={"prompt": "a red shirt"}, user=staff)
    outputs = {
        "wash-shirt-1": make_output(wash, source=shirt),
        "wash-shirt-2": make_output(wash, source=shirt, state="approved"),
        "wash-dress-1": make_output(wash, source=dress),
        "wash-dress-2": make_output(wash, source=dress, state="rejected"),
        "upscale-shirt": make_output(upscale, source=shirt, state="approved"),
        "upscale-dress": make_output(upscale, source=dress),
        "text-1": make_output(text),
        "text-2": make_output(text, state="approved"),
    }
    return Gallery(shirt, dress, wash, upscale, text, outputs)


def ids(outputs) -> set[int]:
    return {output.pk for output in outputs}


def image_count(project) -> int:
    return Output.objects.filter(run__project=project, kind=OutputKind.IMAGE).count()
