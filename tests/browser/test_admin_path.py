"""The console in a real browser: an operator's path (vendor, connection, price, points, ledger, spend, audit),
and what a team admin sees of it beside what an operator sees."""

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


def sign_in(page, user) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_an_operator_adds_a_vendor_tests_it_prices_it_and_funds_a_team(
    page, operator, admin, team, simulator, screenshot
):
    sign_in(page, operator)  # a member of no team: lands in the console
    expect(page.get_by_text("No vendor accounts yet.")).to_be_visible()
    expect(page.locator(".crumbs")).to_contain_text("Studio operator")

    page.get_by_label("Vendor").select_option("suchuang")
    page.get_by_role("button", name="Add account").click()
    page.get_by_label("Name").fill("Suchuang main")
    page.get_by_label("Base URL").fill(simulator.public_url)
    page.get_by_label("token").fill(demo_credentials("suchuang")["token"])
    page.get_by_label("Warn below").fill("100000000")
    page.get_by_role("button", name="Add account").click()
    expect(page.get_by_text("Added “Suchuang main” with its offerings, switched off")).to_be_visible()
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


SIZES = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}


def test_a_team_admin_and_an_operator_side_by_side(page, operator, admin, team, other_team, simulator, screenshot):
    from studio.vendors.models import VendorAccount
    from studio.vendors.services import offerings_load

    account = VendorAccount(kind="suchuang", name="Suchuang main", base_url=simulator.public_url)
    account.set_credentials(demo_credentials("suchuang"))
    account.save()
    offerings_load(account=account)
    tabs = page.locator(".console-tabs")

    sign_in(page, admin)
    page.get_by_role("link", name="Admin").click()
    expect(page.locator("h1")).to_have_text("Teams and points")
    expect(tabs).not_to_contain_text("Vendors")
    expect(tabs).not_to_contain_text("Vendor check")
    expect(page.locator("table.list")).to_contain_text(team.name)
    expect(page.locator("table.list")).not_to_contain_text(other_team.name)
    page.get_by_role("link", name=team.name).click()
    expect(page.get_by_text("Points are granted and deducted by the studio's operators.")).to_be_visible()
    expect(page.get_by_role("button", name="Apply")).to_have_count(0)
    for name, size in SIZES.items():
        page.set_viewport_size(size)
        screenshot(page, f"team-admin-team-{name}")
    tabs.get_by_role("link", name="Prices").click()
    expect(page.get_by_text("Prices are set by the studio's operators")).to_be_visible()
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text(demo_credentials("suchuang")["token"])
    for name, size in SIZES.items():
        page.set_viewport_size(size)
        screenshot(page, f"team-admin-prices-{name}")
    assert page.goto(f"/console/vendors/{account.pk}/").status == 403

    page.context.clear_cookies()
    page.set_viewport_size(SIZES["desktop"])
    sign_in(page, operator)
    expect(tabs).to_contain_text("Vendors")
    expect(tabs).to_contain_text("Vendor check")
    expect(page.locator(".crumbs")).to_contain_text("Studio operator")
    tabs.get_by_role("link", name="Teams and points").click()
    expect(page.locator("table.list")).to_contain_text(team.name)
    expect(page.locator("table.list")).to_contain_text(other_team.name)
    page.get_by_role("link", name=team.name).click()
    expect(page.get_by_role("button", name="Apply")).to_be_visible()
    for name, size in SIZES.items():
        page.set_viewport_size(size)
        screenshot(page, f"operator-team-{name}")
