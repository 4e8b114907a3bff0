"""A run of many jobs in the browser: the newest images with a way to all of them, the job table a page at
a time, and the Runs list; screenshots at desktop and phone sizes."""

import pytest
from playwright.sync_api import expect

from studio.runs.models import RunState
from tests.browser.test_uncertain_path import SIZES, sign_in
from tests.review.factories import make_output, make_run, product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_run_of_55_jobs_shows_its_newest_images_and_pages_its_jobs(page, project, staff, screenshot):
    shirt = product(project, "Red shirt.png", (200, 40, 40), staff)
    run = make_run(project, kind="hdredraw", operation="upscale", user=staff)
    for n in range(55):
        make_output(run, source=shirt, colour=(40 + n * 3, 90, 160))
    type(run).objects.filter(pk=run.pk).update(
        state=RunState.SUCCEEDED, tasks_succeeded=55, images_stored=55, outputs_expected=55
    )

    sign_in(page, staff)
    page.goto(f"/runs/{run.pk}/")
    expect(page.locator(".output-card")).to_have_count(24)
    expect(page.get_by_text("The newest 24 of 55 images.")).to_be_visible()
    expect(page.locator("table.list tbody tr")).to_have_count(50)
    for name, size in SIZES.items():
        page.set_viewport_size(size)
        screenshot(page, f"large-run-{name}")
    page.get_by_role("link", name="Next jobs →").click()
    expect(page.locator("table.list tbody tr")).to_have_count(5)
    expect(page.locator("table.list tbody tr").first).to_contain_text("51")
    page.get_by_role("link", name="See them all in the gallery").click()
    expect(page).to_have_url(f"{page.url.split('/runs/')[0]}/runs/{run.pk}/gallery/")

    page.goto(f"/projects/{project.pk}/runs/")
    expect(page.locator("table.list tbody tr").first).to_contain_text("55 / 55")
    for name, size in SIZES.items():
        page.set_viewport_size(size)
        screenshot(page, f"runs-list-{name}")
