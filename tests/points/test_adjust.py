import pytest

from studio.points.models import LedgerEntry
from studio.points.services import InsufficientPoints, points_adjust, points_balance


def test_it_adds_points_with_a_positive_adjustment(funded, admin):
    entry = points_adjust(team=funded, amount=25, reason="Vendor outage goodwill", user=admin, key="adj-1")

    assert entry.kind == LedgerEntry.Kind.ADJUSTMENT
    assert entry.amount == 25
    assert entry.balance_after == 125
    assert entry.created_by == admin
    assert points_balance(team=funded) == 125


def test_it_takes_points_with_a_negative_adjustment(funded, admin):
    entry = points_adjust(team=funded, amount=-100, reason="Granted twice by mistake", user=admin, key="adj-1")

    assert entry.amount == -100
    assert entry.balance_after == 0
    assert points_balance(team=funded) == 0


def test_it_refuses_a_negative_adjustment_below_zero(funded, admin):
    with pytest.raises(InsufficientPoints) as caught:
        points_adjust(team=funded, amount=-101, reason="Too much", user=admin, key="adj-1")

    assert caught.value.shortfall == 1
    assert "below zero" in str(caught.value)
    assert points_balance(team=funded) == 100
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.ADJUSTMENT).exists()


def test_it_refuses_zero(funded, admin):
    with pytest.raises(ValueError):
        points_adjust(team=funded, amount=0, reason="Nothing", user=admin, key="adj-1")


def test_it_requires_a_reason(funded, admin):
    with pytest.raises(ValueError):
        points_adjust(team=funded, amount=5, reason="", user=admin, key="adj-1")
