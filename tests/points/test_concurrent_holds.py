"""Eight workers hold 30 points each from a wallet of 100 at the same moment: three win, nobody overdraws."""

from functools import partial

import pytest

from studio.accounts.models import Team
from studio.points.models import LedgerEntry, Wallet
from studio.points.reconcile import wallet_differences
from studio.points.services import points_balance, points_grant
from tests.points.race import THREADS, race, race_holds


@pytest.fixture
def funded_committed(transactional_db):
    team = Team.objects.create(name="Acme")
    points_grant(team=team, amount=100, reason="Welcome points", user=None, key="welcome-acme")
    return team


@pytest.mark.django_db(transaction=True)
def test_it_never_overdraws_a_wallet_under_concurrent_holds(funded_committed):
    results = race_holds(team=funded_committed, amount=30, keys=[f"run-{n}-hold" for n in range(1, THREADS + 1)])

    assert results["errors"] == []
    assert sorted(results["balances"], reverse=True) == [70, 40, 10]
    assert results["refused"] == [20] * (THREADS - 3)
    assert points_balance(team=funded_committed) == 10
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.HOLD).count() == 3
    assert not LedgerEntry.objects.filter(balance_after__lt=0).exists()
    assert wallet_differences() == []


@pytest.mark.django_db(transaction=True)
def test_it_writes_one_entry_when_the_same_hold_races_itself(funded_committed):
    results = race_holds(team=funded_committed, amount=30, keys=["run-7-hold"] * THREADS)

    assert results["errors"] == []
    assert len(results["entries"]) == THREADS
    assert len(set(results["entries"])) == 1
    assert points_balance(team=funded_committed) == 70
    assert wallet_differences() == []


@pytest.mark.django_db(transaction=True)
def test_it_creates_one_wallet_when_a_new_team_gets_its_first_points_concurrently(transactional_db):
    team = Team.objects.create(name="Globex")
    grants = [
        partial(points_grant, team=team, amount=10, reason="Welcome points", user=None, key=f"welcome-globex-{n}")
        for n in range(THREADS)
    ]

    results = race(grants)

    assert results["errors"] == []
    assert sorted(results["balances"]) == [10 * n for n in range(1, THREADS + 1)]
    assert Wallet.objects.filter(team=team).count() == 1
    assert points_balance(team=team) == 10 * THREADS
    assert wallet_differences() == []
