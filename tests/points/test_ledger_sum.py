from django.db.models import Sum

from studio.points.models import LedgerEntry, Wallet
from studio.points.services import points_adjust, points_balance, points_hold, points_refund, wallet_for_team


def test_it_keeps_the_balance_equal_to_the_sum_of_the_ledger(funded, admin):
    points_hold(team=funded, amount=60, run_id=7, key="run-7-hold")
    points_refund(team=funded, amount=20, run_id=7, key="run-7-task-1-refund")
    points_adjust(team=funded, amount=-10, reason="Correction", user=admin, key="adj-1")

    entries = list(LedgerEntry.objects.order_by("created_at", "id"))
    assert [(e.kind, e.amount, e.balance_after) for e in entries] == [
        ("grant", 100, 100),
        ("hold", -60, 40),
        ("refund", 20, 60),
        ("adjustment", -10, 50),
    ]
    assert points_balance(team=funded) == 50
    assert LedgerEntry.objects.aggregate(total=Sum("amount"))["total"] == 50


def test_it_lists_entries_newest_first(funded):
    points_hold(team=funded, amount=60, run_id=7, key="run-7-hold")

    assert [e.key for e in funded.wallet.entries.all()] == ["run-7-hold", "welcome-acme"]


def test_it_gives_a_team_without_points_an_empty_wallet(team):
    assert points_balance(team=team) == 0
    assert not Wallet.objects.exists()  # reading does not create

    wallet = wallet_for_team(team=team)

    assert wallet.balance == 0
    assert wallet_for_team(team=team) == wallet
