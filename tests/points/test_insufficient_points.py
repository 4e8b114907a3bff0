import pickle

import pytest
from django.utils import translation

from studio.points.models import LedgerEntry
from studio.points.services import InsufficientPoints, points_balance, points_hold


def test_it_refuses_a_hold_larger_than_the_balance_and_writes_nothing(funded):
    with pytest.raises(InsufficientPoints) as caught:
        points_hold(team=funded, amount=130, run_id=7, key="run-7-hold")

    assert caught.value.balance == 100
    assert caught.value.needed == 130
    assert caught.value.shortfall == 30
    assert str(caught.value) == "This job needs 130 points; the team has 100 (30 short)."
    assert points_balance(team=funded) == 100
    assert LedgerEntry.objects.count() == 1  # the grant only


def test_it_refuses_a_hold_on_a_team_without_points(team):
    with pytest.raises(InsufficientPoints) as caught:
        points_hold(team=team, amount=1, run_id=7, key="run-7-hold")

    assert caught.value.shortfall == 1
    assert not LedgerEntry.objects.exists()


def test_it_lets_a_later_hold_with_a_new_key_through_once_points_arrive(funded, admin):
    with pytest.raises(InsufficientPoints):
        points_hold(team=funded, amount=130, run_id=7, key="run-7-hold")

    from studio.points.services import points_grant

    points_grant(team=funded, amount=30, reason="Top-up", user=admin, key="top-up")
    entry = points_hold(team=funded, amount=130, run_id=7, key="run-7-hold")

    assert entry.balance_after == 0


def test_its_message_is_translated():
    error = InsufficientPoints(balance=100, needed=130)

    with translation.override("zh-hans"):
        message = str(error)

    assert "130" in message and "100" in message and "30" in message
    assert "This job needs" not in message


def test_it_survives_pickling():
    error = pickle.loads(pickle.dumps(InsufficientPoints(balance=100, needed=130, shortfall=30)))  # noqa: S301

    assert (error.balance, error.needed, error.shortfall) == (100, 130, 30)
