"""The reviewer's path: open a run's gallery, review in the viewer with the keyboard, bulk approve a
selection, download the ZIP and check its files and manifest."""

import csv
import io
import re
import zipfile

import pytest
from playwright.sync_api import expect

from studio.review.models import ReviewEvent
from studio.runs.models import Output
from tests.conftest import PASSWORD
from tests.review.factories import make_output, make_run, product, product_photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COLOURS = {"Linen shirt": (196, 164, 132), "Silk dress": (120, 40, 90), "Denim jacket": (60, 90, 140)}


@pytest.fixture
def run_with_outputs(project, staff):
    """A finished wash of three products, two images each, plus an upscale run the run gallery must not show."""
    run = make_run(project, kind="imagewash", operation="wash", user=staff)
    other = make_run(project, kind="hdredraw", operation="upscale", params={"scale": 2}, user=staff)
    for name, colour in COLOURS.items():
        source = product(project, f"{name}.png", user=staff, picture=product_photo(colour, name))
        run.inputs.create(asset=source, role="product")
        for n, background in enumerate([(232, 240, 236), (250, 236, 222)]):
            shade = tuple(min(255, c + 25 * n) for c in colour)
            make_output(run, source=source, picture=product_photo(shade, f"{name} {n + 1}", (480, 600), background))
        make_output(other, source=source, picture=product_photo(colour, name, (720, 900)))
    return run


def sign_in(page, user):
    page.goto("/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_reviewer_reviews_a_run_with_the_keyboard_bulk_approves_and_downloads(
    page, reviewer, project, run_with_outputs, screenshot, tmp_path
):
    run = run_with_outputs
    newest_first = list(run.outputs.order_by("-created_at", "-id"))
    sign_in(page, reviewer)
    page.goto(f"/runs/{run.pk}/")
    page.get_by_role("link", name="Gallery").click()
    expect(page.get_by_role("heading", name=f"Gallery of run {run.pk}")).to_be_visible()
    page.wait_for_load_state()  # htmx (deferred) has taken over the links
    expect(page.locator(".match-count")).to_have_text("6 images match")
    cards = page.locator(".review-card")
    expect(cards).to_have_count(6)
    for index in range(6):
        expect(cards.nth(index).locator("img")).to_have_js_property("complete", True)
    expect(page.locator(".keys")).to_contain_text("A approve")
    screenshot(page, "gallery")

    # The viewer: A approves and moves on, R rejects and moves on, ← goes back, U resets, Esc closes.
    cards.first.locator(".card-open").click()
    viewer = page.locator("#viewer")
    expect(viewer).to_be_visible()
    expect(viewer.locator(".viewer")).to_have_attribute("data-output", str(newest_first[0].pk))
    expect(viewer.get_by_role("button", name="Approve A")).to_be_visible()
    screenshot(page, "viewer")
    page.keyboard.press("a")
    expect(viewer.locator(".viewer")).to_have_attribute("data-output", str(newest_first[1].pk))
    page.keyboard.press("r")
    expect(viewer.locator(".viewer")).to_have_attribute("data-output", str(newest_first[2].pk))
    page.keyboard.press("ArrowLeft")
    expect(viewer.locator(".viewer")).to_have_attribute("data-output", str(newest_first[1].pk))
    expect(viewer.locator(".review-panel .review-badge")).to_have_text("Rejected")
    expect(viewer.locator(".history")).to_contain_text(f"{reviewer.username}: Pending → Rejected")
    viewer.get_by_role("button", name="Before / after").click()
    viewer.locator("[data-split]").fill("30")
    screenshot(page, "viewer-before-after")
    viewer.get_by_role("button", name="Side by side").click()
    screenshot(page, "viewer-side-by-side")
    page.keyboard.press("u")
    expect(viewer.locator(".viewer")).to_have_attribute("data-output", str(newest_first[2].pk))
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    # the grid behind the viewer shows what was done
    expect(page.locator(f"#output-{newest_first[0].pk} .review-badge")).to_have_text("Approved")
    expect(page.locator(f"#output-{newest_first[1].pk} .review-badge")).to_have_text("Pending")
    states = dict(Output.objects.filter(run=run).values_list("pk", "review_state"))
    assert (states[newest_first[0].pk], states[newest_first[1].pk]) == ("approved", "pending")
    assert ReviewEvent.objects.filter(output=newest_first[1]).count() == 2  # rejected, then reset

    # On the grid: → moves between cards, R rejects the focused one (and moves on).
    page.locator(f"#output-{newest_first[3].pk} .card-open").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("r")
    expect(page.locator(f"#output-{newest_first[4].pk} .review-badge")).to_have_text("Rejected")

    # Bulk: tick two cards, approve them together.
    for output in newest_first[1:3]:
        page.locator(f"#output-{output.pk} .pick-output").check()
    expect(page.locator("[data-selected-count]")).to_have_text("2 selected")
    page.locator("#bulk-form").get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Approved 2 images.")).to_be_visible()
    expect(page.locator(f"#output-{newest_first[2].pk} .review-badge")).to_have_text("Approved")
    screenshot(page, "after-bulk")
    assert Output.objects.filter(run=run, review_state="approved").count() == 3

    # The ZIP of the run's approved images: files named for a shop, and the manifest.
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"Download 3 approved")).click()
    path = tmp_path / "approved.zip"
    download_info.value.save_as(path)
    assert download_info.value.suggested_filename == f"Autumn-lookbook-run-{run.pk}-approved.zip"
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    approved = Output.objects.filter(run=run, review_state="approved").select_related("source_asset")
    folders = sorted(output.source_asset.original_name.removesuffix(".png").replace(" ", "-") for output in approved)
    assert sorted(name.split("/")[0] for name in names if name != "manifest.csv") == folders
    assert all(re.fullmatch(r"[\w-]+/wash-0[12]\.png", name) for name in names if name != "manifest.csv")
    assert names[-1] == "manifest.csv"
    assert sorted(int(row["output_id"]) for row in rows) == sorted(output.pk for output in approved)
    assert {row["file"] for row in rows} == set(names) - {"manifest.csv"}


def test_the_product_groups_and_the_staff_view(page, staff, project, run_with_outputs, screenshot):
    sign_in(page, staff)
    page.goto(f"/projects/{project.pk}/")
    page.get_by_role("link", name="Gallery").click()
    expect(page.locator(".match-count")).to_have_text("9 images match")
    expect(page.locator(".card-actions")).to_have_count(0)  # staff do not review
    page.get_by_label("Layout").select_option("product")
    expect(page.locator(".product-group")).to_have_count(3)
    expect(page).to_have_url(re.compile(r"group=product"))
    expect(page.locator(".product-group").first.locator(".review-card")).to_have_count(3)
    screenshot(page, "groups")
    page.get_by_label("Vendor").select_option("hdredraw")
    expect(page.locator(".match-count")).to_have_text("3 images match")
    expect(page).to_have_url(re.compile(r"vendor=hdredraw"))
    assert "model=" not in page.url and "product=" not in page.url  # only the filters that are set
    page.reload()
    expect(page.get_by_label("Vendor")).to_have_value("hdredraw")
    expect(page.locator(".product-group")).to_have_count(3)

    page.get_by_label("Vendor").select_option("")  # "All vendors": the filter goes, the URL does not grow
    expect(page.locator(".match-count")).to_have_text("9 images match")
    expect(page).not_to_have_url(re.compile(r"vendor="))
    page.get_by_label("Vendor").select_option("imagewash")
    expect(page.locator(".match-count")).to_have_text("6 images match")
    page.get_by_label("Vendor").select_option("hdredraw")
    expect(page.locator(".match-count")).to_have_text("3 images match")
    assert page.url.count("vendor=") == 1 and page.url.count("group=") == 1


def test_the_gallery_and_the_viewer_in_chinese_and_without_javascript(
    browser, live_server, reviewer, project, run_with_outputs, screenshot
):
    from django.conf import settings

    context = browser.new_context(viewport={"width": 1280, "height": 860}, base_url=live_server.url,
                                  java_script_enabled=False)  # fmt: skip
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "zh-hans", "url": live_server.url}])
    page = context.new_page()
    sign_in_chinese = page.goto("/login/")
    assert sign_in_chinese.ok
    page.locator("input[name=username]").fill(reviewer.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button").last.click()
    page.goto(f"/runs/{run_with_outputs.pk}/gallery/")
    expect(page.get_by_role("heading", name=f"批次 {run_with_outputs.pk} 的图库")).to_be_visible()
    expect(page.locator(".match-count")).to_have_text("6 张图片符合条件")
    screenshot(page, "gallery-zh")
    # Without JavaScript a card opens the viewer as a page, and its form reviews and moves on.
    first = page.locator(".card-open").first
    first.click()
    expect(page.locator(".viewer")).to_be_visible()
    shown = page.locator(".viewer").get_attribute("data-output")
    screenshot(page, "viewer-page-zh")
    page.get_by_role("button", name="拒绝 R").click()
    expect(page.locator(".viewer")).not_to_have_attribute("data-output", shown)
    assert Output.objects.get(pk=shown).review_state == "rejected"
    context.close()
