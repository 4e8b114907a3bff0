"""Storing a vendor's file: kept as the bytes received, thumbnailed, and stored once per (task, index)."""

import io

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from studio.runs.models import Output, Run, Task
from studio.runs.outputs import UnusableFile, output_store
from studio.vendors.base import FileKind
from studio.vendors.models import Offering, VendorAccount


@pytest.fixture
def task(project):
    account = VendorAccount.objects.create(kind="hdredraw", name="hd", base_url="https://vendor.invalid")
    offering = Offering.objects.create(account=account, operation="upscale", label="Upscale", points=5)
    run = Run.objects.create(project=project, offering=offering, operation="upscale", outputs_expected=1)
    return Task.objects.create(run=run, account=account, index=0, idempotency_key="t0", request={},
                               outputs_expected=1, points_per_output=5, next_action_at=timezone.now())  # fmt: skip


def png(size=(1024, 768)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 30, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def test_it_keeps_the_vendors_bytes_and_makes_a_thumbnail(task):
    content = png()
    output = output_store(task=task, index=0, kind=FileKind.IMAGE, content=content)
    assert output.file.read() == content and (output.width, output.height) == (1024, 768)
    with Image.open(output.thumbnail) as thumbnail:
        assert thumbnail.format == "WEBP" and thumbnail.size == (512, 384)


def test_storing_the_same_index_again_returns_the_first_and_leaves_no_stray_files(task):
    first = output_store(task=task, index=0, kind=FileKind.IMAGE, content=png())
    files_before = sorted(default_storage.listdir(first.file.name.rsplit("/", 1)[0])[1])

    again = output_store(task=task, index=0, kind=FileKind.IMAGE, content=png((800, 600)))

    assert again.pk == first.pk and Output.objects.count() == 1
    assert sorted(default_storage.listdir(first.file.name.rsplit("/", 1)[0])[1]) == files_before


def test_a_damaged_file_is_refused(task):
    with pytest.raises(UnusableFile):
        output_store(task=task, index=0, kind=FileKind.IMAGE, content=png()[:3000])
    assert not Output.objects.exists()
