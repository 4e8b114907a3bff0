"""The spend report's query count does not grow with the runs, outputs or tasks it adds up."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from studio.accounts.models import Membership, Role
from studio.projects.models import Project
from tests.conftest import client_for
from tests.console.spend_data import at, make_run, offering_for


def add_runs(count: int, *, team, other_team, staff, outsider):
    projects = [Project.objects.create(team=team, name=f"p{count}", created_by=staff),
                Project.objects.create(team=other_team, name=f"q{count}", created_by=outsider)]  # fmt: skip
    offerings = [offering_for("imagewash", "wash"), offering_for("suchuang", "text_to_image")]
    for n in range(count):
        make_run(project=projects[n % 2], user=(staff, outsider)[n % 2], offering=offerings[n // 2 % 2],
                 created_at=at(2026, 1 + n % 3, 1 + n % 28), charged=10 + n, refunded=n % 3, costs=(n, None),
                 images=2, approved=n % 2)  # fmt: skip


def queries_for(client, query) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("console:spend"), query).status_code == 200
    return len(captured)


@pytest.mark.parametrize("group", ["team", "member", "operation", "vendor", "month"])
@pytest.mark.parametrize("export", [{}, {"format": "csv"}])
def test_it_makes_as_many_queries_for_50_runs_as_for_5(admin, team, other_team, staff, outsider, group, export):
    Membership.objects.create(user=admin, team=other_team, role=Role.ADMIN)  # the report covers both teams
    client = client_for(admin)
    add_runs(5, team=team, other_team=other_team, staff=staff, outsider=outsider)
    few = queries_for(client, {"group": group, **export})
    add_runs(45, team=team, other_team=other_team, staff=staff, outsider=outsider)
    many = queries_for(client, {"group": group, **export})
    assert few == many <= 12
    response = client.get(reverse("console:spend"), {"group": group, **export})
    if export:
        assert response.content.decode().splitlines()[-1].startswith("Total,50,")
    else:
        assert response.context["report"].total.runs == 50
