"""Knowing when a run ends without watching it: the tab title, the in-app notice on any page, the browser
notification (once allowed) and the Activity page."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from studio.runs.models import Run, RunState
from tests.browser.test_reviewer_path import sign_in
from tests.review.factories import make_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Records what the page would show as a browser notification (a headless browser has no notification centre);
# the permission, once given, lasts across pages as a browser's does.
FAKE_NOTIFICATIONS = """
window.told = [];
window.Notification = class {
  static get permission() { return localStorage.getItem("fake-permission") || "default"; }
  static requestPermission() { localStorage.setItem("fake-permission", "granted"); return Promise.resolve("granted"); }
  constructor(title, options) { window.told.push(title + " | " + options.body); }
  addEventListener() {}
};
"""


def test_staff_learn_that_a_run_finished_from_the_tab_a_notice_and_a_notification(page, project, staff, screenshot):
    page.add_init_script(FAKE_NOTIFICATIONS)
    run = make_run(project, user=staff)
    Run.objects.filter(pk=run.pk).update(state=RunState.RUNNING, finished_at=None, tasks_open=4, outputs_expected=4)
    sign_in(page, staff)

    page.goto(f"/runs/{run.pk}/")
    expect(page).to_have_title(f"0% · Run {run.pk} · Studio")
    page.get_by_role("button", name="Notify me when my runs finish").click()
    expect(page.get_by_role("button", name="Notify me when my runs finish")).to_be_hidden()
    Run.objects.filter(pk=run.pk).update(tasks_open=2, tasks_succeeded=2)
    expect(page).to_have_title(f"50% · Run {run.pk} · Studio")

    page.goto("/activity/")
    expect(page.locator(".activity-section", has_text="Running")).to_contain_text(str(run.pk))
    Run.objects.filter(pk=run.pk).update(
        state=RunState.SUCCEEDED, finished_at=timezone.now(), tasks_open=0, tasks_succeeded=4, images_stored=4
    )
    expect(page.locator(".activity-section", has_text="Finished today")).to_contain_text("Restyle", timeout=8000)
    page.goto(f"/projects/{project.pk}/")  # any page: its first poll tells what ended since the last

    notice = page.locator(".run-notice")
    expect(notice).to_contain_text(f"Run {run.pk}: Succeeded")
    expect(notice).to_contain_text("4 images")
    page.wait_for_function("window.told.length > 0")  # told once htmx has settled the notice in
    assert page.evaluate("window.told") == ["Run Succeeded | Restyle products (wash) · Autumn lookbook · 4 images"]
    screenshot(page, "notice")
    notice.get_by_role("link", name="Open").click()
    expect(page).to_have_title(re.compile(rf"^✓ Succeeded · Run {run.pk} · Studio$"))
