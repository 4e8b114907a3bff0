"""The 200-image day, end to end in the browser: upload 200 photos, one wash of 200 × 1 through the worker and
the simulator, know it finished, review the 200 on a phone by keyboard and in bulk, download the approved ZIP."""

import re
import zipfile

import pytest
from playwright.sync_api import expect

from studio.assets.models import Asset
from studio.runs.models import Output, ReviewState, Run, RunState
from tests import images
from tests.browser.test_reviewer_path import sign_in
from tests.run_fixtures import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PRODUCTS = 200
PHONE = {"width": 390, "height": 844}


def test_a_day_of_catalogue_work(
    browser, live_server, page, staff, reviewer, project, accounts, funded, simulator, qcluster, screenshot, tmp_path
):
    files = []
    for n in range(PRODUCTS):
        path = tmp_path / f"SKU-{n:04}.png"
        path.write_bytes(images.distinct_png(n, size=48))
        files.append(str(path))
    qcluster.start()
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, staff)

    # Upload: two batches of 100, the most one pick takes.
    page.goto(f"/projects/{project.pk}/")
    page.wait_for_load_state()
    for batch in (files[:100], files[100:]):
        page.locator("#file-input").set_input_files(batch)
        expect(page.locator(".upload-summary")).to_contain_text("Added: 100 · Duplicates: 0 · Rejected: 0",
                                                                timeout=60_000)  # fmt: skip
        page.reload()
    assert Asset.objects.filter(project=project).count() == PRODUCTS

    # One wash of all 200: chosen with one click, priced with its total, split by the studio into two calls.
    page.get_by_role("link", name="New job").click()
    products = page.locator('.input-role[data-role="product"]')
    products.get_by_role("button", name="All shown").click()
    expect(products.locator("[data-picker-count]")).to_have_text("200 chosen · 200 shown")
    page.get_by_label("Prompt *").fill("on a linen backdrop, soft daylight")
    page.get_by_label("Prompt *").dispatch_event("change")
    expect(page.locator("#estimate .price")).to_contain_text("200 products × 1 = 200 images in 2 vendor calls")
    screenshot(page, "composer-200")
    page.get_by_role("button", name="Start job").click()
    expect(page.get_by_text("Started: 200 images")).to_be_visible()

    # Know it finished: the tab says so, and a notice comes (the notices are polled every 15 s).
    run = wait_for(Run.objects.get(), timeout=240, cluster=qcluster)
    assert run.state == RunState.SUCCEEDED and run.images_stored == PRODUCTS, qcluster.logs()
    assert simulator.ledger_summary()["imagewash"]["created"] == 2
    expect(page).to_have_title(re.compile(rf"^✓ Succeeded · Run {run.pk}"), timeout=10_000)
    expect(page.locator(".run-notice")).to_contain_text(f"Run {run.pk}: Succeeded", timeout=20_000)
    screenshot(page, "finished")

    # Review on a phone: the keyboard in the viewer for the first few, then all the rest in bulk.
    phone = browser.new_context(viewport=PHONE, base_url=live_server.url).new_page()
    sign_in(phone, reviewer)
    phone.goto(f"/runs/{run.pk}/gallery/")
    phone.wait_for_load_state()
    expect(phone.locator(".match-count")).to_have_text("200 images match")
    phone.locator(".review-card .card-open").first.click()
    viewer = phone.locator("#viewer .viewer")
    expect(viewer).to_be_visible()
    first = viewer.get_attribute("data-output")
    phone.keyboard.press("r")
    for _ in range(4):
        expect(viewer).not_to_have_attribute("data-output", first)
        first = viewer.get_attribute("data-output")
        phone.keyboard.press("a")
    expect(viewer).not_to_have_attribute("data-output", first)
    screenshot(phone, "phone-viewer")
    phone.keyboard.press("Escape")
    phone.get_by_role("navigation", name="Review state").get_by_role("link", name=re.compile("^Pending")).click()
    expect(phone.locator(".match-count")).to_have_text("195 images match")
    phone.locator("[data-select-matching]").check()
    phone.locator("#bulk-form").get_by_role("button", name="Approve").click()
    expect(phone.get_by_text("Approved 195 images.")).to_be_visible()
    assert Output.objects.filter(run=run, review_state=ReviewState.APPROVED).count() == 199
    screenshot(phone, "phone-gallery")

    with phone.expect_download() as download:
        phone.get_by_role("link", name=re.compile(r"Download 199 approved")).click()
    path = tmp_path / "approved.zip"
    download.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        pictures = [name for name in archive.namelist() if name != "manifest.csv"]
    assert len(pictures) == 199 and len({name.split("/")[0] for name in pictures}) == 199  # a folder a product
    phone.context.close()
