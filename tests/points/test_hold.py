import pytest

from studio.points.models import LedgerEntry
from studio.points.services import points_balance, points_hold


def test_it_takes_points_and_writes_a_negative_entry(funded, staff):
    entry = points_hold(team=funded, amount=30, run_id=7, key="run-7-hold", user=staff)

    assert entry.kind == LedgerEntry.Kind.HOLD
    assert entry.amount == -30
    assert entry.balance_after == 70
    assert entry.run_id == 7
    assert entry.created_by == staff
    assert points_balance(team=funded) == 70


def test_it_can_take_the_whole_balance(funded):
    entry = points_hold(team=funded, amount=100, run_id=7, key="run-7-hold")

    assert entry.balance_after == 0
    assert points_balance(team=funded) == 0


@pytest.mark.parametrize("amount", [0, -30])
def test_it_refuses_an_amount_that_is_not_positive(funded, amount):
    with pytest.raises(ValueError):
        points_hold(team=funded, amount=amount, run_id=7, key="run-7-hold")

    assert points_balance(team=funded) == 100
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.HOLD).exists()
