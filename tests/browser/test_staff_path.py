import re

import pytest
from playwright.sync_api import expect

from studio.assets.models import Asset
from tests import images
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_staff_sign_in_create_a_project_upload_three_images_and_read_it_in_chinese(
    page, staff, tmp_path, screenshot, media_storage
):
    files = []
    for name, data in [
        ("shirt.jpg", images.jpeg(800, 600)),
        ("cut-out.png", images.png_with_alpha()),
        ("hoodie.webp", images.webp()),
    ]:
        path = tmp_path / name
        path.write_bytes(data)
        files.append(str(path))

    page.goto("/")
    page.get_by_label("Username").fill(staff.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Start your first project")).to_be_visible()

    page.get_by_placeholder("New project name").fill("Spring drop")
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("heading", name="Spring drop")).to_be_visible()

    page.wait_for_load_state()  # the deferred uploader is listening: a file chosen before that goes unseen
    page.locator("#file-input").set_input_files(files)
    expect(page.locator(".upload-summary")).to_have_text(re.compile(r"^Added: 3 · Duplicates: 0 · Rejected: 0"))
    cards = page.locator(".asset-card img")
    expect(cards).to_have_count(3)
    for index in range(3):  # every thumbnail really loaded
        expect(cards.nth(index)).to_have_js_property("complete", True)
        assert cards.nth(index).evaluate("img => img.naturalWidth") > 0
    assert sorted(Asset.objects.values_list("original_name", flat=True)) == ["cut-out.png", "hoodie.webp", "shirt.jpg"]
    screenshot(page, "uploaded")

    page.get_by_role("button", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("link", name="项目").first).to_be_visible()
    expect(page.locator(".asset-card")).to_have_count(3)
    shot = screenshot(page, "chinese")
    assert shot.stat().st_size > 10_000


def test_bulk_role_change_and_delete_with_confirmation(page, staff, project, screenshot):
    from studio.assets.ingest import asset_ingest
    from tests.images import upload

    for n in range(3):
        asset_ingest(project=project, upload=upload(f"{n}.png", images.distinct_png(n)), user=staff)
    page.goto("/login/")
    page.get_by_label("Username").fill(staff.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/projects/{project.pk}/")

    apply = page.get_by_role("button", name="Apply")
    expect(apply).to_be_disabled()
    page.get_by_label("Select 0.png").check()
    page.get_by_label("Select 1.png").check()
    expect(page.get_by_text("2 selected")).to_be_visible()
    page.locator(".bulk-bar select").select_option("reference")
    apply.click()
    expect(page.get_by_text("2 images are now Reference.")).to_be_visible()
    expect(page.locator(".tabs a", has_text="Reference")).to_contain_text("2")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_label("Select 2.png").check()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Deleted 1 image.")).to_be_visible()
    expect(page.locator(".asset-card")).to_have_count(2)
    screenshot(page, "after-bulk")
    assert Asset.objects.count() == 2


DROP_FILES = """async (files) => {
  const transfer = new DataTransfer();
  for (const file of files) {
    const bytes = Uint8Array.from(atob(file.data), (c) => c.charCodeAt(0));
    transfer.items.add(new File([bytes], file.name, { type: file.type }));
  }
  document.body.dispatchEvent(new DragEvent("dragover", { dataTransfer: transfer, bubbles: true, cancelable: true }));
  document.body.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
}"""


def test_files_dropped_on_the_page_are_each_reported(page, staff, project, screenshot):
    import base64

    from studio.assets.ingest import asset_ingest
    from tests.images import upload

    photo = images.jpeg(colour="#c0392b")
    asset_ingest(project=project, upload=upload("dress.jpg", photo), user=staff)
    page.goto("/login/")
    page.get_by_label("Username").fill(staff.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/projects/{project.pk}/")

    dropped = [("new.jpg", images.jpeg(colour="#2e8b57")), ("dress-again.jpg", photo), ("notes.jpg", b"plain text")]
    page.evaluate(
        DROP_FILES,
        [{"name": n, "type": "image/jpeg", "data": base64.b64encode(data).decode()} for n, data in dropped],
    )

    expect(page.locator(".upload-summary")).to_have_text(re.compile(r"^Added: 1 · Duplicates: 1 · Rejected: 1"))
    expect(page.locator(".upload-row.is-duplicate")).to_contain_text("Already in this project as “dress.jpg”")
    expect(page.locator(".upload-row.is-rejected")).to_contain_text("notes.jpg")
    expect(page.locator(".upload-row.is-rejected")).to_contain_text("not a JPEG, PNG or WebP image")
    expect(page.locator(".asset-card")).to_have_count(2)
    screenshot(page, "dropped")
    assert sorted(Asset.objects.values_list("original_name", flat=True)) == ["dress.jpg", "new.jpg"]
