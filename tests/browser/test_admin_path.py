"""The admin's path through the console, in a real browser: vendor, connection, price, points, ledger, spend."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from studio.points.services import points_balance
from studio.projects.models import Project
from studio.simulator.app import demo_credentials
from studio.vendors.models import Offering
from tests.conftest import PASSWORD
from tests.console.spend_data import make_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_adds_a_vendor_tests_it_prices_it_and_funds_a_team(page, admin, team, simulator, screenshot):
    page.goto("/login/")
    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Admin").click()
    expect(page.get_by_text("No vendor accounts yet.")).to_be_visible()

    page.get_by_label("Vendor").select_option("suchuang")
    page.get_by_role("button", name="Add account").click()
    page.get_by_label("Name").fill("Suchuang main")
    page.get_by_label("Base URL").fill(simulator.public_url)
    page.get_by_label("token").fill(demo_credentials("suchuang")["token"])
    page.get_by_label("Warn below").fill("100000000")
    page.get_by_role("button", name="Add account").click()
    expect(page.get_by_text("Added “Suchuang main” with its offerings.")).to_be_visible()
    expect(page.get_by_label("token")).to_have_value("")  # write-only

    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#vendor-status")).to_contain_text(re.compile(r"Works\s+Connected: \d+ points left."))
    expect(page.locator("#vendor-status")).to_contain_text("Low: below 100000000")
    screenshot(page, "vendor")

    page.get_by_role("link", name="Prices").click()
    page.get_by_label("Vendor", exact=True).select_option("suchuang")
    offering = Offering.objects.filter(account__kind="suchuang").order_by("operation", "model").first()
    row = page.locator(f"#offering-{offering.pk}")
    row.get_by_role("spinbutton").first.fill("42")
    row.get_by_role("button", name="Save").click()
    expect(page.locator(f"#offering-{offering.pk}")).to_contain_text("Saved. New runs use it")
    offering.refresh_from_db()
    assert offering.points == 42
    screenshot(page, "prices")

    page.get_by_role("link", name="Teams and points").click()
    page.get_by_role("link", name=team.name).click()
    page.get_by_placeholder("points").fill("5000")
    page.get_by_label("Reason (the team sees it in its ledger)").fill("Q4 budget")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text(f"Done: {team.name} now has 5000 points.")).to_be_visible()
    screenshot(page, "team")
    assert points_balance(team=team) == 5000

    page.get_by_role("link", name="Ledger").first.click()
    expect(page.locator("table.ledger tbody tr").first).to_contain_text("Q4 budget")
    expect(page.locator("table.ledger tbody tr").first).to_contain_text("+5000")
    screenshot(page, "ledger")

    shop = Project.objects.create(team=team, name="Shop", created_by=admin)
    make_run(project=shop, user=admin, offering=offering, created_at=timezone.now(), charged=84, refunded=42,
             images=2, approved=1)  # fmt: skip
    page.locator(".console-tabs").get_by_role("link", name="Spend").click()
    total = page.locator("table.spend-table tfoot tr")
    expect(total).to_contain_text(re.compile(r"Total\s+1\s+84\s+42\s+42\s+2\s+1\s+42\.0"))
    screenshot(page, "spend")

    page.get_by_role("link", name="Audit log").click()
    for text in ("Vendor account added", "Price changed", "Points granted"):
        expect(page.locator("table.list")).to_contain_text(text)
    screenshot(page, "audit")
