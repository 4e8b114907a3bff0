import pytest

from studio.points.models import LedgerEntry
from studio.points.services import points_balance, points_grant


def test_it_adds_points_and_writes_a_positive_entry(team, admin):
    entry = points_grant(team=team, amount=100, reason="Welcome points", user=admin, key="g1")

    assert entry.kind == LedgerEntry.Kind.GRANT
    assert entry.amount == 100
    assert entry.balance_after == 100
    assert entry.reason == "Welcome points"
    assert entry.created_by == admin
    assert entry.run_id is None
    assert points_balance(team=team) == 100


def test_it_adds_up_grants(team, admin):
    points_grant(team=team, amount=100, reason="Welcome points", user=admin, key="g1")
    entry = points_grant(team=team, amount=50, reason="Top-up", user=admin, key="g2")

    assert entry.balance_after == 150
    assert points_balance(team=team) == 150


def test_it_keeps_teams_apart(team, other_team, admin):
    points_grant(team=team, amount=100, reason="Welcome points", user=admin, key="g1")

    assert points_balance(team=other_team) == 0


@pytest.mark.parametrize("amount", [0, -5])
def test_it_refuses_an_amount_that_is_not_positive(team, admin, amount):
    with pytest.raises(ValueError):
        points_grant(team=team, amount=amount, reason="Oops", user=admin, key="g1")

    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_it_requires_a_reason(team, admin, reason):
    with pytest.raises(ValueError):
        points_grant(team=team, amount=10, reason=reason, user=admin, key="g1")

    assert not LedgerEntry.objects.exists()


def test_it_requires_a_key(team, admin):
    with pytest.raises(ValueError):
        points_grant(team=team, amount=10, reason="Top-up", user=admin, key="")
