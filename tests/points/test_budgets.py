"""Monthly budgets: a month starts topped up to the budget, once, and never taken down to it."""

from datetime import date

import pytest
from django.urls import reverse

from studio.audit.models import AuditAction, AuditEvent
from studio.points.budgets import budget_set, budget_top_up
from studio.points.models import LedgerEntry
from studio.points.services import InsufficientPoints, points_balance, points_grant, points_hold
from tests.conftest import client_for


def test_each_month_starts_topped_up_to_the_budget_once_and_never_taken_down(team, operator):
    budget_set(team=team, monthly_budget=1000, actor=operator)
    assert points_balance(team=team) == 1000
    points_hold(team=team, amount=700, run_id=1, key="h1")
    assert budget_top_up(team=team) is None and points_balance(team=team) == 300  # the month had its top-up

    top_up = budget_top_up(team=team, today=date(2099, 1, 15))
    assert top_up.amount == 700 and points_balance(team=team) == 1000
    assert budget_top_up(team=team, today=date(2099, 1, 31)) is None

    points_grant(team=team, amount=500, reason="campaign", user=operator, key="campaign")
    assert budget_top_up(team=team, today=date(2099, 2, 1)) is None  # 1,500 is more than the budget
    assert points_balance(team=team) == 1500


def test_a_hold_tops_up_first_and_is_refused_beyond_the_budget(team, operator):
    team.monthly_budget = 100
    team.save()
    points_hold(team=team, amount=60, run_id=1, key="h1")  # the month's first use tops it up
    with pytest.raises(InsufficientPoints) as refused:
        points_hold(team=team, amount=60, run_id=2, key="h2")
    assert (refused.value.balance, refused.value.shortfall) == (40, 20)


def test_an_operator_sets_a_budget_a_team_admin_only_sees_it(operator, admin, team):
    url = reverse("console:team_budget", args=[team.pk])
    assert client_for(admin).post(url, {"monthly_budget": "5000"}).status_code == 403
    bad = client_for(operator).post(url, {"monthly_budget": "-3"})
    assert bad.status_code == 400 and "greater than or equal to 1" in bad.content.decode()

    client_for(operator).post(url, {"monthly_budget": "5000"})
    team.refresh_from_db()
    assert team.monthly_budget == 5000 and points_balance(team=team) == 5000
    assert AuditEvent.objects.get(action=AuditAction.BUDGET_CHANGED).details == {"monthly_budget": [None, 5000]}
    assert LedgerEntry.objects.get(kind="grant").reason.startswith("Monthly budget for")
    page = client_for(admin).get(reverse("console:team", args=[team.pk])).content.decode()
    assert "Each month starts with 5000 points." in page

    client_for(operator).post(url, {"monthly_budget": ""})
    team.refresh_from_db()
    assert team.monthly_budget is None and points_balance(team=team) == 5000  # what was granted stays
