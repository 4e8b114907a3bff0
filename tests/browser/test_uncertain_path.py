"""A job whose answer the vendor lost: the staff member sees what happened and chooses to send it again;
an operator finds it in the vendor check. Screenshots at desktop and phone sizes."""

import pytest
from playwright.sync_api import expect

from studio.runs.models import TaskState
from studio.simulator.core import Fault
from tests.conftest import PASSWORD
from tests.run_fixtures import drive
from tests.runs.vendor_plans import SUBMIT_PATHS, one_job

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}


def sign_in(page, user):
    page.goto("/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_an_uncertain_job_is_explained_and_sent_again_only_on_purpose(
    page, accounts, simulator, project, staff, operator, funded, screenshot
):
    simulator.add_fault(Fault("gateway_error", vendor="imagetasks", endpoint=SUBMIT_PATHS["imagetasks"], status=504))
    run = drive(one_job("imagetasks", accounts, project, staff))
    assert run.tasks.get().state == TaskState.UNCERTAIN

    sign_in(page, staff)
    page.goto(f"/runs/{run.pk}/")
    notice = page.locator(".uncertain-notice")
    expect(notice).to_contain_text("1 job is uncertain at the vendor.")
    for name, size in SIZES.items():
        page.set_viewport_size(size)
        screenshot(page, f"run-{name}")
        box = notice.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"]  # (the header's fit is issue 13's)

    send_again = notice.get_by_role("button", name="Send 1 uncertain job again")
    send_again.click()  # the box is required: the browser does not send the form
    expect(page).to_have_url(f"{page.url.split('/runs/')[0]}/runs/{run.pk}/")
    assert run.tasks.count() == 1
    notice.get_by_label("I accept that the vendor may charge these jobs twice.").check()
    send_again.click()
    expect(page.locator(".messages")).to_contain_text("Sending 1 uncertain job again")
    assert run.tasks.count() == 2

    page.context.clear_cookies()
    sign_in(page, operator)  # an operator of no team lands in the console
    page.locator(".console-tabs").get_by_role("link", name="Vendor check").click()
    expect(page.locator(".check-problems")).to_contain_text(f"run {run.pk}, job 1")
    for name, size in SIZES.items():
        page.set_viewport_size(size)
        screenshot(page, f"vendor-check-{name}")
