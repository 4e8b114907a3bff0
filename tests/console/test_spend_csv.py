"""The spend report as CSV: the page's rows and totals, with the same filters, readable by Excel."""

import csv
import io
import re
from html import unescape

import pytest
from django.urls import reverse

from tests.conftest import client_for


def page_table(html: str) -> list[list[str]]:
    table = html.split('<table class="list spend-table">')[1].split("</table>")[0]
    cells = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.DOTALL)
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.DOTALL)
    return [[unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells.findall(row)] for row in rows]


def csv_table(response) -> list[list[str]]:
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content.removeprefix("\ufeff"))))


@pytest.mark.parametrize("query", [{"group": "team"}, {"group": "member", "vendor": "imagewash"}, {"group": "month"},
                                   {"group": "operation", "from": "2026-02", "to": "2026-02"}])  # fmt: skip
def test_it_has_the_rows_and_totals_of_the_page(admin, spend_world, query):
    client = client_for(admin)
    page = page_table(client.get(reverse("console:spend"), query).content.decode())
    response = client.get(reverse("console:spend"), {**query, "format": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    header, *rows = csv_table(response)

    costs = header[8:]  # one column per vendor and unit, e.g. "Vendor cost: imagewash coins"
    assert header[:8] == page[0][:8] and page[0][8] == "Vendor cost"
    assert len(rows) == len(page) - 1 and rows[-1][0] == "Total"
    for row, shown in zip(rows, page[1:], strict=True):
        assert row[:8] == [cell.replace(",", "").replace("—", "") for cell in shown[:8]]
        amounts = [
            f"{int(amount):,} {name.removeprefix('Vendor cost: ')}"
            for name, amount in zip(costs, row[8:], strict=True)
            if amount
        ]
        assert (" · ".join(amounts) or "—") == shown[8]


def test_it_names_the_file_after_the_grouping_and_the_months(admin, spend_world):
    client = client_for(admin)
    url = reverse("console:spend")
    names = {
        "studio-spend-by-month-2026-01-to-2026-02.csv": {"group": "month", "from": "2026-01", "to": "2026-02"},
        "studio-spend-by-team-from-2026-02.csv": {"from": "2026-02"},
        "studio-spend-by-vendor-until-2026-01.csv": {"group": "vendor", "to": "2026-01"},
        "studio-spend-by-team-all-time.csv": {},
    }
    for name, query in names.items():
        response = client.get(url, {**query, "format": "csv"})
        assert response["Content-Disposition"] == f'attachment; filename="{name}"'


def test_it_keeps_chinese_names_and_headers(admin, spend_world, team):
    team.name = "上海服装"
    team.save()
    client = client_for(admin)
    client.post(reverse("set_language"), {"language": "zh-hans"})
    header, *rows = csv_table(client.get(reverse("console:spend"), {"format": "csv"}))
    assert header[0] == "团队" and "上海服装" in [row[0] for row in rows] and rows[-1][0] == "合计"


def test_it_is_only_a_header_and_a_zero_total_without_runs(admin):
    response = client_for(admin).get(reverse("console:spend"), {"format": "csv"})
    assert csv_table(response)[1:] == [["Total", "0", "0", "0", "0", "0", "0", ""]]


def test_a_name_a_spreadsheet_would_run_as_a_formula_stays_text(admin, spend_world, team):
    team.name = '=HYPERLINK("https://evil.example","Acme")'
    team.save()
    header, *rows = csv_table(client_for(admin).get(reverse("console:spend"), {"format": "csv"}))
    assert "'" + team.name in [row[0] for row in rows]
