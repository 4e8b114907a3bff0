import re

import pytest
from playwright.sync_api import expect

from studio.accounts.models import Membership, Role, Team
from studio.projects.models import Project
from tests.conftest import PASSWORD, make_member
from tests.console.spend_data import at, make_run, offering_for, spend_world  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("spend_world")]


@pytest.fixture
def a_third_team(admin):
    """A team with a Chinese name, a long name and a bigger month, so the chart has something to fit."""
    team = Team.objects.create(name="上海女装旗舰店 · Shanghai womenswear flagship store")
    Membership.objects.create(user=admin, team=team, role=Role.ADMIN)  # the report shows the teams ada manages
    member = make_member(team, "staff", "李娜")
    project = Project.objects.create(team=team, name="春季", created_by=member)
    make_run(project=project, user=member, offering=offering_for("imagewash", "wash"), created_at=at(2026, 3, 2),
             charged=1250, refunded=90, costs=(1100,), images=24, approved=19)  # fmt: skip


def test_an_admin_reads_the_spend_report_regroups_it_and_downloads_it(page, admin, a_third_team, screenshot):
    page.goto("/login/")
    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Admin").click()
    page.locator(".console-tabs").get_by_role("link", name="Spend").click()

    table = page.locator("table.spend-table")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table.locator("tfoot tr")).to_contain_text("1,490")  # net points: 330 + 1,160
    expect(page.locator(".spend-chart .chart-wide rect.bar")).to_have_count(3)
    screenshot(page, "by-team")

    page.get_by_label("Group by").select_option("month")  # htmx swaps the report and keeps the URL shareable
    expect(page).to_have_url(re.compile(r"group=month"))
    expect(table.locator("tbody tr").first).to_contain_text("2026-01")
    expect(page.locator(".spend-chart .chart-wide rect.bar")).to_have_count(3)
    screenshot(page, "by-month")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename == "studio-spend-by-month-all-time.csv"

    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("heading", name="花费")).to_be_visible()
    expect(table.locator("tfoot tr")).to_contain_text("合计")
    screenshot(page, "chinese")
