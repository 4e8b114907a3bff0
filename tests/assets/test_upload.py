import hashlib

import pytest
from django.urls import reverse
from PIL import Image

from studio.assets.models import Asset
from tests import images
from tests.images import upload


def post_files(client, project, *files, role="product", as_json=True):
    headers = {"Accept": "application/json"} if as_json else {}
    return client.post(
        reverse("assets:upload", args=[project.pk]), {"files": list(files), "role": role}, headers=headers
    )


def results_by_name(response) -> dict:
    assert response.status_code == 200, response.content[:300]
    return {result["name"]: result for result in response.json()["results"]}


def test_it_keeps_jpeg_png_and_webp_with_facts_and_a_webp_thumbnail(staff_client, project):
    jpeg = images.jpeg(640, 480)
    response = post_files(
        staff_client,
        project,
        upload("shirt.jpg", jpeg),
        upload("cut-out.png", images.png_with_alpha(300, 200), "image/png"),
        upload("hoodie.webp", images.webp(320, 320), "image/webp"),
    )

    results = results_by_name(response)
    assert {name: r["status"] for name, r in results.items()} == {
        "shirt.jpg": "kept",
        "cut-out.png": "kept",
        "hoodie.webp": "kept",
    }
    shirt = Asset.objects.get(original_name="shirt.jpg")
    assert (shirt.width, shirt.height, shirt.content_type) == (640, 480, "image/jpeg")
    assert shirt.sha256 == hashlib.sha256(jpeg).hexdigest()
    assert shirt.byte_size == len(jpeg)
    assert shirt.file.read() == jpeg  # stored as sent, never re-encoded
    with Image.open(shirt.thumbnail) as thumbnail:
        assert thumbnail.format == "WEBP"
        assert 480 <= max(thumbnail.size) <= 576  # long side: THUMBNAIL_SIZE to 1.2 × that
    with Image.open(Asset.objects.get(original_name="cut-out.png").thumbnail) as thumbnail:
        assert thumbnail.mode == "RGBA"  # transparency survives in the thumbnail
    assert Asset.objects.get(original_name="hoodie.webp").content_type == "image/webp"


def test_bad_files_are_rejected_by_name_and_reason_while_good_ones_are_kept(staff_client, project, settings):
    settings.UPLOAD_MAX_BYTES = 200_000
    response = post_files(
        staff_client,
        project,
        upload("notes.jpg", b"this is a text file, not a photo\n"),
        upload("half.jpg", images.truncated_jpeg()),
        upload("bomb.png", images.png_bomb(), "image/png"),
        upload("huge.jpg", images.noisy_jpeg(1200, 900)),
        upload("animation.png", images.gif(), "image/png"),
        upload("good.jpg", images.jpeg()),
    )

    results = results_by_name(response)
    assert results["good.jpg"]["status"] == "kept"
    assert "not a JPEG, PNG or WebP" in results["notes.jpg"]["message"]
    assert "damaged or incomplete" in results["half.jpg"]["message"]
    assert "decompression bomb" in results["bomb.png"]["message"]
    assert "the limit is 195.3\xa0KB" in results["huge.jpg"]["message"]
    assert "not a JPEG, PNG or WebP" in results["animation.png"]["message"]
    for name in ("notes.jpg", "half.jpg", "bomb.png", "huge.jpg", "animation.png"):
        assert results[name]["status"] == "rejected"
    assert list(Asset.objects.values_list("original_name", flat=True)) == ["good.jpg"]


def test_an_image_over_the_pixel_limit_is_rejected_with_its_size(staff_client, project, settings):
    settings.UPLOAD_MAX_PIXELS = 1_000_000
    results = results_by_name(post_files(staff_client, project, upload("big.jpg", images.jpeg(1250, 1000))))

    assert results["big.jpg"]["status"] == "rejected"
    assert "1250 × 1000 pixels (1.2 megapixels); the limit is 1 megapixels" in results["big.jpg"]["message"]
    assert not Asset.objects.exists()


def test_a_declared_giant_within_pillows_own_limit_is_stopped_by_ours(staff_client, project):
    results = results_by_name(post_files(staff_client, project, upload("wide.png", images.png_bomb(10_000, 6_000))))
    assert "(60.0 megapixels); the limit is 50 megapixels" in results["wide.png"]["message"]


def test_a_duplicate_is_reported_and_not_stored_twice(staff_client, project, other_team, media_storage):
    photo = images.jpeg(colour="#c0392b")
    post_files(staff_client, project, upload("dress.jpg", photo))

    results = results_by_name(post_files(staff_client, project, upload("dress-copy.jpg", photo)))

    assert results["dress-copy.jpg"]["status"] == "duplicate"
    assert "Already in this project as “dress.jpg”" in results["dress-copy.jpg"]["message"]
    assert Asset.objects.count() == 1
    assert len(list((media_storage / f"projects/{project.pk}/originals").iterdir())) == 1


def test_the_same_file_in_one_batch_is_kept_once(staff_client, project):
    photo = images.jpeg(colour="#e1b12c")
    results = results_by_name(post_files(staff_client, project, upload("a.jpg", photo), upload("b.jpg", photo)))
    assert [results["a.jpg"]["status"], results["b.jpg"]["status"]] == ["kept", "duplicate"]


def test_exif_orientation_is_applied_so_the_stored_image_is_upright(staff_client, project):
    results = results_by_name(post_files(staff_client, project, upload("phone.jpg", images.rotated_jpeg(400, 200))))

    assert results["phone.jpg"]["status"] == "kept"
    asset = Asset.objects.get()
    assert (asset.width, asset.height) == (200, 400)
    with Image.open(asset.file) as stored:
        assert stored.size == (200, 400)
        assert stored.getexif().get(0x0112, 1) == 1
    with Image.open(asset.thumbnail) as thumbnail:
        assert thumbnail.size[1] > thumbnail.size[0]


def test_the_chosen_role_is_given_to_every_file(staff_client, project):
    post_files(staff_client, project, upload("ref.jpg", images.jpeg()), role="reference")
    assert Asset.objects.get().role == "reference"


def test_more_files_than_allowed_in_one_request_store_nothing(staff_client, project, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    files = [upload(f"{n}.jpg", images.jpeg(colour=(n, n, n))) for n in range(3)]
    response = post_files(staff_client, project, *files)
    assert response.status_code == 400
    assert not Asset.objects.exists()


def test_the_plain_form_reports_each_file_on_the_page(staff_client, project):
    response = post_files(
        staff_client, project, upload("ok.jpg", images.jpeg()), upload("bad.jpg", b"nope"), as_json=False
    )
    assert response.status_code == 302
    page = staff_client.get(response.url).content.decode()
    assert "ok.jpg: Added." in page
    assert "bad.jpg: This is not a JPEG, PNG or WebP image" in page


def test_an_archived_project_takes_no_uploads(staff_client, project):
    project.archived_at = project.created_at
    project.save()
    response = post_files(staff_client, project, upload("late.jpg", images.jpeg()))
    assert response.status_code == 403
    assert "is archived" in response.content.decode()
    assert not Asset.objects.exists()


@pytest.mark.parametrize("role_fixture", ["reviewer_client"])
def test_a_reviewer_cannot_upload(request, project, role_fixture):
    response = post_files(request.getfixturevalue(role_fixture), project, upload("x.jpg", images.jpeg()))
    assert response.status_code == 403
    assert not Asset.objects.exists()


def test_a_plain_form_with_more_files_than_allowed_keeps_the_first_ones_and_names_the_rest(
    staff_client, project, settings
):
    settings.UPLOAD_MAX_FILES = 3
    files = [upload(f"shot-{n}.png", images.distinct_png(n)) for n in range(5)]
    response = post_files(staff_client, project, *files, as_json=False)

    page = " ".join(staff_client.get(response.url).content.decode().split())
    assert sorted(Asset.objects.values_list("original_name", flat=True)) == ["shot-0.png", "shot-1.png", "shot-2.png"]
    assert "shot-2.png: " in page
    assert "2 more images were not uploaded (at most 3 go in one upload): shot-3.png, shot-4.png." in page


def test_the_uploader_hears_which_files_were_over_the_limit(staff_client, project, settings):
    settings.UPLOAD_MAX_FILES = 1
    results = results_by_name(post_files(staff_client, project, *(upload(f"{n}.png", images.distinct_png(n))
                                                                  for n in range(2))))  # fmt: skip
    assert results["0.png"]["status"] == "kept" and results["1.png"]["status"] == "rejected", results
    assert "at most 1 images go in one upload" in results["1.png"]["message"]


def sixteen_bit_rgb_png(width: int, height: int) -> bytes:
    """Pillow writes no 16-bit RGB PNG: the chunks by hand (every channel 0x8000, mid grey)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80\x00" * 3 * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def encoded(image: Image.Image, image_format: str, **options) -> bytes:
    import io

    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def test_cmyk_16_bit_and_animated_images_are_kept_as_one_frame_of_8_bit_rgb_and_the_uploader_is_told(
    staff_client, project
):
    frames = [Image.new("RGB", (40, 30), (200, 40 * n, 0)) for n in range(3)]
    response = post_files(
        staff_client,
        project,
        upload("print.jpg", encoded(Image.new("CMYK", (40, 30), (0, 255, 255, 0)), "JPEG"), "image/jpeg"),
        upload("scan.png", encoded(Image.new("I;16", (40, 30), 40000), "PNG"), "image/png"),
        upload("deep.png", sixteen_bit_rgb_png(40, 30), "image/png"),
        upload("spin.webp", encoded(frames[0], "WEBP", save_all=True, append_images=frames[1:]), "image/webp"),
    )
    results = results_by_name(response)
    assert {name: r["status"] for name, r in results.items()} == dict.fromkeys(results, "kept")
    assert results["print.jpg"]["message"] == "Added; it was CMYK: it is kept as RGB."
    assert results["scan.png"]["message"] == "Added; it had 16 bits per channel: it is kept with 8."
    assert results["spin.webp"]["message"] == "Added; it is animated (3 frames): the first frame is kept."

    def stored(name: str) -> Image.Image:
        return Image.open(Asset.objects.get(original_name=name).file)

    with stored("print.jpg") as cmyk:
        assert cmyk.mode == "RGB" and cmyk.getpixel((20, 15))[0] > 200  # still red, not inverted ink
    with stored("scan.png") as grey:
        assert grey.mode == "RGB" and 150 <= grey.getpixel((20, 15))[0] <= 160  # 40000 / 65535 of white, not clipped
    with stored("deep.png") as deep:
        assert deep.mode == "RGB" and deep.tile[0].args == "RGB"
    with stored("spin.webp") as spin:
        assert getattr(spin, "n_frames", 1) == 1 and spin.getpixel((20, 15))[1] < 20  # the first frame


def test_files_left_by_uploads_cut_off_by_a_killed_server_are_removed_when_old(settings, tmp_path):
    import os
    import time

    from studio.assets.upload_handler import remove_stale_upload_files

    settings.UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    assert remove_stale_upload_files() == 0 and (tmp_path / "uploads").is_dir()  # made where it was missing
    old, fresh, other = (tmp_path / "uploads" / name for name in ("tmp1.upload.jpg", "tmp2.upload.png", "notes.txt"))
    for path in (old, fresh, other):
        path.write_bytes(b"x")
    long_ago = time.time() - 7 * 3600
    os.utime(old, (long_ago, long_ago))
    os.utime(other, (long_ago, long_ago))

    assert remove_stale_upload_files() == 1
    assert not old.exists() and fresh.exists() and other.exists()  # an upload under way, and not ours
