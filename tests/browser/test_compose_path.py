import re

import pytest
from playwright.sync_api import expect

from studio.assets.ingest import asset_ingest
from studio.runs.models import OutputKind, Run, RunState
from tests import images
from tests.conftest import PASSWORD
from tests.images import upload
from tests.run_fixtures import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_compose_a_wash_watch_it_run_and_see_the_outputs(
    page, staff, project, accounts, funded, qcluster, screenshot
):
    for n in range(3):
        asset_ingest(project=project, upload=upload(f"shirt-{n}.png", images.distinct_png(n * 40)), user=staff)
    qcluster.start()

    page.goto("/login/")
    page.get_by_label("Username").fill(staff.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/projects/{project.pk}/")
    page.get_by_role("link", name="New job").click()

    expect(page.get_by_text("Restyle products (wash)")).to_be_visible()
    pickers = page.locator(".picker").first.locator("input[name=input_product]")
    for index in range(3):
        pickers.nth(index).check()
    page.get_by_label("Prompt *").fill("linen shirts on a sunny terrace")
    page.get_by_label("Images per product").fill("2")
    page.get_by_label("Images per product").dispatch_event("change")
    expect(page.locator("#estimate .price")).to_contain_text(
        re.compile(r"3 products × 2 = 6 images\s*in 1 vendor call\s*·\s*24 points")
    )
    screenshot(page, "composer")

    page.get_by_role("button", name="Start job").click()
    expect(page.get_by_text("Started: 6 images for 24 points.")).to_be_visible()
    run = wait_for(Run.objects.get(), timeout=60, cluster=qcluster)
    assert run.state == RunState.SUCCEEDED, qcluster.logs()
    expect(page.locator(".state").first).to_have_text("Succeeded", timeout=10_000)
    expect(page.locator(".progress .bar-done")).to_have_attribute("width", "100")
    expect(page.locator(".output-card img")).to_have_count(6)
    for index in range(6):
        expect(page.locator(".output-card img").nth(index)).to_have_js_property("complete", True)
        assert page.locator(".output-card img").nth(index).evaluate("img => img.naturalWidth") > 0
    screenshot(page, "run-finished")

    assert run.outputs.filter(kind=OutputKind.IMAGE).count() == 6
