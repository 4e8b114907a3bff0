"""Calling a service again with the same key returns the first entry and changes nothing."""

import pytest

from studio.points.models import LedgerEntry
from studio.points.services import points_adjust, points_balance, points_grant, points_hold, points_refund


def test_it_grants_once_per_key(team, admin):
    first = points_grant(team=team, amount=100, reason="Welcome points", user=admin, key="g1")
    again = points_grant(team=team, amount=100, reason="Welcome points", user=admin, key="g1")

    assert again.pk == first.pk
    assert LedgerEntry.objects.count() == 1
    assert points_balance(team=team) == 100


def test_it_holds_once_per_key(funded):
    first = points_hold(team=funded, amount=30, run_id=7, key="run-7-hold")
    again = points_hold(team=funded, amount=30, run_id=7, key="run-7-hold")

    assert again.pk == first.pk
    assert LedgerEntry.objects.count() == 2
    assert points_balance(team=funded) == 70


def test_it_replays_a_hold_even_when_the_balance_could_no_longer_cover_it(funded):
    first = points_hold(team=funded, amount=80, run_id=7, key="run-7-hold")

    again = points_hold(team=funded, amount=80, run_id=7, key="run-7-hold")

    assert again.pk == first.pk
    assert points_balance(team=funded) == 20


def test_it_refunds_once_per_key(funded):
    points_hold(team=funded, amount=30, run_id=7, key="run-7-hold")
    first = points_refund(team=funded, amount=10, run_id=7, key="run-7-task-1-refund")
    again = points_refund(team=funded, amount=10, run_id=7, key="run-7-task-1-refund")

    assert again.pk == first.pk
    assert LedgerEntry.objects.count() == 3
    assert points_balance(team=funded) == 80


def test_it_adjusts_once_per_key(funded, admin):
    first = points_adjust(team=funded, amount=-40, reason="Correction", user=admin, key="adj-1")
    again = points_adjust(team=funded, amount=-40, reason="Correction", user=admin, key="adj-1")

    assert again.pk == first.pk
    assert LedgerEntry.objects.count() == 2
    assert points_balance(team=funded) == 60


def test_it_refuses_a_key_reused_for_another_team(funded, other_team, admin):
    with pytest.raises(ValueError):
        points_grant(team=other_team, amount=100, reason="Welcome points", user=admin, key="welcome-acme")

    assert points_balance(team=other_team) == 0


def test_it_refuses_a_key_reused_for_another_kind(funded, admin):
    with pytest.raises(ValueError):
        points_adjust(team=funded, amount=5, reason="Oops", user=admin, key="welcome-acme")

    assert points_balance(team=funded) == 100
