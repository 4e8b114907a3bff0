"""Taking images away: a streamed ZIP of approved images with shop-ready names and a manifest; one output."""

import csv
import io
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from studio.review.archive import safe_name
from studio.runs.models import OutputKind, ReviewState
from tests.review.factories import make_output, make_run, make_task, product


def unzip(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.content[:300]
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def stored_bytes(output) -> bytes:
    with default_storage.open(output.file.name) as stored:
        return stored.read()


def manifest(archive: zipfile.ZipFile) -> list[dict]:
    return list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))


def test_the_project_zip_holds_every_approved_image_named_for_a_shop(staff_client, project, gallery):
    archive = unzip(staff_client.get(reverse("review:download", args=[project.pk])))
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == [
        "Red-shirt/upscale-01.png",
        "Red-shirt/wash-01.png",
        "manifest.csv",
        "no-product/text-to-image-01.png",
    ]
    stored = stored_bytes(gallery.outputs["upscale-shirt"])
    assert archive.read("Red-shirt/upscale-01.png") == stored  # the original bytes, not re-encoded
    assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
    response = staff_client.get(reverse("review:download", args=[project.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="Autumn-lookbook-approved.zip"'


def test_the_manifest_lists_every_files_facts(staff_client, project, gallery):
    rows = manifest(unzip(staff_client.get(reverse("review:download", args=[project.pk]))))
    by_file = {row["file"]: row for row in rows}
    assert set(by_file) == {"Red-shirt/upscale-01.png", "Red-shirt/wash-01.png", "no-product/text-to-image-01.png"}
    row = by_file["Red-shirt/wash-01.png"]
    output = gallery.outputs["wash-shirt-2"]
    assert row["output_id"] == str(output.pk)
    assert (row["product"], row["operation"], row["vendor"], row["run"]) == (
        "Red shirt.png",
        "wash",
        "imagewash",
        str(gallery.wash.pk),
    )
    assert (row["width"], row["height"], row["bytes"], row["sha256"]) == (
        "40",
        "30",
        str(output.byte_size),
        output.sha256,
    )
    assert row["prompt"] == "on a sunny terrace" and row["review_state"] == "approved"


def test_the_manifest_keeps_a_typed_formula_as_text(staff_client, project, gallery):
    from studio.runs.models import Run

    Run.objects.filter(pk=gallery.wash.pk).update(params={"prompt": '=HYPERLINK("https://evil.example","x")'})
    rows = manifest(unzip(staff_client.get(reverse("review:download", args=[project.pk]))))
    wash = next(row for row in rows if row["operation"] == "wash")
    assert wash["prompt"] == '\'=HYPERLINK("https://evil.example","x")'


def test_the_run_zip_and_the_filtered_zip(staff_client, project, gallery):
    url = reverse("review:download", args=[project.pk])
    run_zip = staff_client.get(f"{url}?run={gallery.upscale.pk}")
    assert unzip(run_zip).namelist() == ["Red-shirt/upscale-01.png", "manifest.csv"]
    assert f"Autumn-lookbook-run-{gallery.upscale.pk}-approved.zip" in run_zip["Content-Disposition"]
    assert unzip(staff_client.get(f"{url}?vendor=imagetasks")).namelist() == [
        "no-product/text-to-image-01.png",
        "manifest.csv",
    ]
    # the review state of the gallery's filter does not matter: a ZIP only ever holds approved images
    assert len(unzip(staff_client.get(f"{url}?state=pending")).namelist()) == 4


def test_the_selection_zip_holds_the_approved_images_among_the_selected(staff_client, project, gallery):
    chosen = [gallery.outputs["wash-shirt-2"], gallery.outputs["wash-shirt-1"], gallery.outputs["text-2"]]
    response = staff_client.post(reverse("review:download", args=[project.pk]), {"output": [o.pk for o in chosen]})
    assert sorted(unzip(response).namelist()) == [
        "Red-shirt/wash-01.png",
        "manifest.csv",
        "no-product/text-to-image-01.png",
    ]
    everything = staff_client.post(
        reverse("review:download", args=[project.pk]) + "?operation=wash", {"all_matching": "1"}
    )
    assert unzip(everything).namelist() == ["Red-shirt/wash-01.png", "manifest.csv"]


def test_names_never_collide(staff_client, project, staff):
    """Two products whose names clean up alike, a Chinese name, a hostile name, several outputs of one kind."""
    a = product(project, "T-shirt.png", (1, 2, 3), staff)
    b = product(project, "t shirt.jpg", (4, 5, 6), staff)
    c = product(project, "春季 连衣裙.png", (7, 8, 9), staff)
    d = product(project, "../../etc/CON.png", (10, 11, 12), staff)
    run = make_run(project, user=staff)
    for source in (a, a, a, b, c, d):
        make_output(run, source=source, state=ReviewState.APPROVED)
    names = unzip(staff_client.get(reverse("review:download", args=[project.pk]))).namelist()
    assert len(names) == len(set(names)) == 7
    assert set(names) == {
        "T-shirt/wash-01.png", "T-shirt/wash-02.png", "T-shirt/wash-03.png",
        "t-shirt-2/wash-01.png", "春季-连衣裙/wash-01.png", "CON-/wash-01.png", "manifest.csv",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Red shirt.png", "Red-shirt"), ("a/b\\c:d*e?.jpg", "a-b-c-d-e"), ("...", "fallback"), ("nul.png", "nul-"),
     ("  .hidden", "hidden"), ("x" * 300, "x" * 80), ("商品 图片.webp", "商品-图片"), ("tab\there\n.png", "tab-here")],
)  # fmt: skip
def test_safe_name(name, expected):
    assert safe_name(name, "fallback") == expected


def test_extras_travel_with_their_image(staff_client, project, staff):
    shirt = product(project, "Logo.png", (1, 2, 3), staff)
    run = make_run(project, kind="hdredraw", operation="vectorize", params={}, user=staff)
    task = make_task(run)
    image = make_output(run, source=shirt, task=task, state=ReviewState.APPROVED)
    vector = make_output(run, source=shirt, task=task, kind=OutputKind.VECTOR)
    archive = unzip(staff_client.get(reverse("review:download", args=[project.pk])))
    assert archive.namelist() == ["Logo/vectorize-01.png", "Logo/vectorize-01-vector.eps", "manifest.csv"]
    rows = manifest(archive)
    assert (rows[1]["kind"], rows[1]["output_id"], rows[1]["image_of"]) == ("vector", str(vector.pk), str(image.pk))


def test_a_file_missing_from_storage_is_noted_not_fatal(staff_client, project, gallery):
    default_storage.delete(gallery.outputs["upscale-shirt"].file.name)
    archive = unzip(staff_client.get(reverse("review:download", args=[project.pk])))
    assert "Red-shirt/upscale-01.png" not in archive.namelist()
    assert any("missing from storage" in row["note"] for row in manifest(archive))


def test_no_approved_images_is_an_empty_state_not_an_empty_zip(staff_client, project, gallery):
    response = staff_client.get(
        reverse("review:download", args=[project.pk]) + "?vendor=hdredraw&operation=wash", follow=True
    )
    assert "No approved images yet — approve some in the gallery." in response.content.decode()
    assert response.redirect_chain[-1][0].startswith(reverse("review:project", args=[project.pk]))


def test_one_output_downloads_in_its_original_bytes_under_a_shop_name(staff_client, gallery):
    output = gallery.outputs["wash-dress-1"]
    response = staff_client.get(reverse("review:output_download", args=[output.pk]))
    assert b"".join(response.streaming_content) == stored_bytes(output)
    response.close()
    assert response["Content-Disposition"] == f'attachment; filename="Blue-dress-wash-{output.pk}.png"'


def test_the_viewer_offers_the_extras(staff_client, project, staff):
    run = make_run(project, kind="hdredraw", operation="vectorize", params={}, user=staff)
    task = make_task(run)
    image = make_output(run, task=task)
    vector = make_output(run, task=task, kind=OutputKind.VECTOR)
    content = staff_client.get(reverse("review:viewer", args=[image.pk])).content.decode()
    assert reverse("review:output_download", args=[vector.pk]) in content
    response = staff_client.get(reverse("review:output_download", args=[vector.pk]))
    assert response["Content-Disposition"].endswith(f'vectorize-{vector.pk}-vector.eps"')


def test_a_download_stopped_halfway_closes_cleanly(staff_client, project, gallery, recwarn):
    """A browser that goes away mid-download: the stream is closed early, nothing is left open or raised."""
    response = staff_client.get(reverse("review:download", args=[project.pk]))
    stream = iter(response.streaming_content)
    assert next(stream).startswith(b"PK\x03\x04")  # a local file header comes first
    response.close()
    assert not [w for w in recwarn if issubclass(w.category, ResourceWarning)]
