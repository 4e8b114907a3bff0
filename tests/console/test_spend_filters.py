"""The spend report's filters live in the URL; values it cannot read are left out and named, never a crash."""

import pytest
from django.urls import reverse

from studio.accounts.models import User
from tests.conftest import client_for


@pytest.fixture
def admin_client(admin):
    return client_for(admin)


def report_for(client, query):
    response = client.get(reverse("console:spend"), query)
    assert response.status_code == 200
    return response.context["report"]


def rows(report):
    return [(row.label, row.runs, row.net) for row in report.rows]


def test_it_shows_one_team(admin_client, spend_world, other_team):
    report = report_for(admin_client, {"team": other_team.pk})
    assert rows(report) == [("Globex", 2, 180)]
    assert report.total.net == 180 and report.total.costs == {"imagewash": 150, "suchuang": 30}


def test_it_shows_one_member_by_operation(admin_client, spend_world, staff):
    report = report_for(admin_client, {"member": staff.pk, "group": "operation"})
    assert rows(report) == [("Restyle products (wash)", 1, 80), ("Upscale / HD redraw", 1, 10)]


def test_it_shows_one_vendor_and_its_costs_only(admin_client, spend_world):
    report = report_for(admin_client, {"vendor": "suchuang", "group": "team"})
    assert rows(report) == [("Acme", 2, 70), ("Globex", 1, 30)]
    assert report.total.costs == {"suchuang": 75}


def test_it_shows_one_operation(admin_client, spend_world):
    report = report_for(admin_client, {"operation": "wash", "group": "vendor"})
    assert rows(report) == [("imagewash", 2, 230)]


@pytest.mark.parametrize(
    ("months", "expected"),
    [
        ({"from": "2026-02", "to": "2026-02"}, [("2026-02", 3, 190)]),
        ({"from": "2026-02"}, [("2026-02", 3, 190)]),
        ({"to": "2026-01"}, [("2026-01", 2, 140)]),
        ({"from": "2026-02", "to": "2026-01"}, [("2026-01", 2, 140), ("2026-02", 3, 190)]),  # read forwards
        ({"from": "2026-03"}, []),
    ],
)
def test_it_shows_a_range_of_months(admin_client, spend_world, months, expected):
    assert rows(report_for(admin_client, {**months, "group": "month"})) == expected


def test_it_combines_filters(admin_client, spend_world, team):
    report = report_for(admin_client, {"team": team.pk, "vendor": "suchuang", "from": "2026-02", "group": "member"})
    assert rows(report) == [("sam-staff", 1, 10)]


def test_it_says_when_nothing_matches(admin_client, spend_world):
    page = admin_client.get(reverse("console:spend"), {"from": "2030-01"}).content.decode()
    assert "No runs match these filters." in page and "<table" not in page
    assert f'href="{reverse("console:spend")}?group=team">Clear filters' in page


def test_it_keeps_the_filters_in_the_form_and_the_csv_link(admin_client, spend_world, team):
    page = admin_client.get(reverse("console:spend"), {"team": team.pk, "from": "2026-01", "group": "month"})
    html = page.content.decode()
    assert f'<option value="{team.pk}" selected>Acme</option>' in html
    assert 'name="from" value="2026-01"' in html
    csv_link = html.split("format=csv")[0].rsplit('href="', 1)[1]
    assert f"team={team.pk}" in csv_link and "from=2026-01" in csv_link and "group=month" in csv_link


@pytest.mark.parametrize(
    "query",
    [
        {"team": "abc"},
        {"team": "999999"},
        {"member": "-1"},
        {"operation": "juggling"},
        {"vendor": "acme-ai"},
        {"group": "planet"},
        {"from": "2026-13"},
        {"to": "last month"},
        {"from": "20260101"},
        {"to": "9999-12"},
        {"from": "0001-01"},
    ],
)
def test_it_leaves_out_what_it_cannot_read_and_says_so(admin_client, spend_world, query):
    response = admin_client.get(reverse("console:spend"), query)
    assert response.status_code == 200
    assert response.context["report"].total.net == 330  # the whole report, as without the bad value
    assert "Left out of the report" in response.content.decode()


def test_a_member_who_left_every_team_can_still_be_chosen(admin_client, spend_world, staff):
    staff.memberships.all().delete()
    assert rows(report_for(admin_client, {"member": staff.pk}))[0][2] == 90


def test_runs_of_a_deleted_user_are_kept_under_a_label_of_their_own(admin_client, spend_world):
    User.objects.filter(username="sam-staff").delete()
    report = report_for(admin_client, {"group": "member"})
    assert ("Deleted user", 2, 90) in rows(report) and report.total.net == 330


def test_htmx_gets_only_the_report(admin_client, spend_world):
    response = admin_client.get(reverse("console:spend"), {"group": "vendor"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="spend-report">') and "<form" not in html
    assert response["Vary"] == "HX-Request" or "HX-Request" in response["Vary"]
