"""The keyboard help: "?" lists every shortcut of the page, "/" goes to its search field."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_reviewer_path import run_with_outputs, sign_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_question_mark_lists_the_galleries_keys_and_slash_goes_to_the_library_search(
    page, project, reviewer, request, screenshot
):
    run = request.getfixturevalue("run_with_outputs")
    sign_in(page, reviewer)
    page.goto(f"/runs/{run.pk}/gallery/")
    page.keyboard.press("?")
    help = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help).to_be_visible()
    for words in ("Approve", "Reject", "Move between images", "Search this page"):
        expect(help).to_contain_text(words)
    screenshot(page, "gallery-keys")
    page.keyboard.press("Escape")
    expect(help).to_be_hidden()

    page.goto(f"/projects/{project.pk}/")
    page.keyboard.press("/")
    expect(page.get_by_role("searchbox", name="Search file names or SKUs")).to_be_focused()
    page.keyboard.type("?")  # typed into the field, not a shortcut
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()
