"""The spend report's figures, by each grouping: runs, points, images, points per approved image, vendor costs."""

import re

import pytest
from django.urls import reverse

from studio.console.spend_selectors import SpendFilters, spend_report

# label, runs, charged, refunded, net, delivered, approved, points per approved image, vendor costs
BY_GROUP = {
    "team": [
        ("Globex", 2, 240, 60, 180, 6, 1, 180.0, {"imagewash": 150, "suchuang": 30}),
        ("Acme", 3, 190, 40, 150, 7, 5, 30.0, {"imagewash": 80, "suchuang": 45}),
    ],
    "member": [
        ("olga-outsider", 2, 240, 60, 180, 6, 1, 180.0, {"imagewash": 150, "suchuang": 30}),
        ("sam-staff", 2, 130, 40, 90, 5, 3, 30.0, {"imagewash": 80}),
        ("ada-admin", 1, 60, 0, 60, 2, 2, 30.0, {"suchuang": 45}),
    ],
    "operation": [
        ("Restyle products (wash)", 2, 300, 70, 230, 9, 4, 57.5, {"imagewash": 230}),
        ("Text to image", 2, 100, 10, 90, 3, 2, 45.0, {"suchuang": 75}),
        ("Upscale / HD redraw", 1, 30, 20, 10, 1, 0, None, {}),
    ],
    "vendor": [
        ("imagewash", 2, 300, 70, 230, 9, 4, 57.5, {"imagewash": 230}),
        ("suchuang", 3, 130, 30, 100, 4, 2, 50.0, {"suchuang": 75}),
    ],
    "month": [
        ("2026-01", 2, 160, 20, 140, 6, 5, 28.0, {"imagewash": 80, "suchuang": 45}),
        ("2026-02", 3, 270, 80, 190, 7, 1, 190.0, {"imagewash": 150, "suchuang": 30}),
    ],
}
TOTAL = ("Total", 5, 430, 100, 330, 13, 6, 55.0, {"imagewash": 230, "suchuang": 75})


def figures(row):
    return (row.label, row.runs, row.charged, row.refunded, row.net, row.delivered, row.approved,
            row.points_per_approved, row.costs)  # fmt: skip


@pytest.mark.parametrize("group", BY_GROUP)
def test_it_adds_up_each_group_and_the_total(spend_world, group):
    report = spend_report(filters=SpendFilters(group=group, visible_team_ids=spend_world["team_ids"]))
    assert [figures(row) for row in report.rows] == BY_GROUP[group]
    assert figures(report.total) == TOTAL
    assert report.cost_kinds == ["imagewash", "suchuang"]


def test_it_never_adds_costs_of_vendors_with_different_units(spend_world, admin):
    page = re.sub(r"<[^>]+>", "", admin_page(admin, {"group": "team"}))
    assert "80 imagewash coins · 45 suchuang points" in page
    assert "230 imagewash coins · 75 suchuang points" in page  # the total, still per vendor


def test_it_shows_a_dash_where_no_image_was_approved_or_no_cost_was_reported(spend_world, admin):
    page = admin_page(admin, {"group": "operation"})
    row = page.split("Upscale / HD redraw</td>")[1].split("</tr>")[0]
    assert row.count("—") == 2


def test_it_groups_months_in_the_studios_time_zone(spend_world, settings):
    settings.TIME_ZONE = "Asia/Shanghai"  # run 5, Feb 28 23:00 UTC, was started on March 1 in Shanghai
    report = spend_report(filters=SpendFilters(group="month", visible_team_ids=spend_world["team_ids"]))
    assert [(row.label, row.runs) for row in report.rows] == [("2026-01", 2), ("2026-02", 2), ("2026-03", 1)]
    march_on = report.rows[2].key.date()
    march = spend_report(
        filters=SpendFilters(group="month", month_from=march_on, visible_team_ids=spend_world["team_ids"])
    )
    assert [(row.label, row.net) for row in march.rows] == [("2026-03", 30)]


def test_the_page_shows_the_rows_the_total_and_a_bar_per_row(spend_world, admin):
    page = admin_page(admin, {"group": "member"})
    chart, table = page.split("<svg")[1].split("</svg>")[0], page.split('<table class="list spend-table">')[1]
    assert chart.count('<rect class="bar"') == 3
    assert chart.index("olga-outsider") < chart.index("sam-staff") < chart.index("ada-admin")
    assert table.index("olga-outsider") < table.index("sam-staff") < table.index("ada-admin")
    assert "Net points by member" in page
    assert "<td>Total</td>" in table and ">330<" in table


def test_it_says_so_when_there_are_no_runs(admin):
    page = admin_page(admin, {})
    assert "No runs yet." in page and "<svg" not in page


def admin_page(admin, query) -> str:
    from tests.conftest import client_for

    response = client_for(admin).get(reverse("console:spend"), query)
    assert response.status_code == 200
    return response.content.decode()
