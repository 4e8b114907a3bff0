import pytest

from studio.points.models import LedgerEntry
from studio.points.services import points_balance, points_hold, points_refund


@pytest.fixture
def held(funded):
    points_hold(team=funded, amount=60, run_id=7, key="run-7-hold")
    return funded


def test_it_gives_points_back_with_a_positive_entry(held):
    entry = points_refund(team=held, amount=20, run_id=7, key="run-7-task-1-refund", reason="Task failed")

    assert entry.kind == LedgerEntry.Kind.REFUND
    assert entry.amount == 20
    assert entry.balance_after == 60
    assert entry.run_id == 7
    assert entry.reason == "Task failed"
    assert entry.created_by is None
    assert points_balance(team=held) == 60


def test_it_refunds_one_run_several_times_with_different_keys(held):
    points_refund(team=held, amount=20, run_id=7, key="run-7-task-1-refund")
    points_refund(team=held, amount=20, run_id=7, key="run-7-task-2-refund")
    entry = points_refund(team=held, amount=20, run_id=7, key="run-7-task-3-refund")

    assert entry.balance_after == 100
    assert LedgerEntry.objects.filter(run_id=7, kind=LedgerEntry.Kind.REFUND).count() == 3


def test_it_never_refunds_more_than_the_run_held(held):
    points_refund(team=held, amount=50, run_id=7, key="run-7-task-1-refund")

    with pytest.raises(ValueError):
        points_refund(team=held, amount=20, run_id=7, key="run-7-task-2-refund")
    with pytest.raises(ValueError):
        points_refund(team=held, amount=5, run_id=8, key="run-8-task-1-refund")

    assert points_balance(team=held) == 90


@pytest.mark.parametrize("amount", [0, -20])
def test_it_refuses_an_amount_that_is_not_positive(held, amount):
    with pytest.raises(ValueError):
        points_refund(team=held, amount=amount, run_id=7, key="run-7-task-1-refund")

    assert points_balance(team=held) == 40
