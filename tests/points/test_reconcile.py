from django.utils import timezone

from studio.points.models import LedgerEntry, Wallet
from studio.points.reconcile import CHECKS, wallet_differences
from studio.points.services import points_grant, points_hold, points_refund


def test_it_finds_nothing_on_a_clean_ledger(funded, other_team, admin):
    points_hold(team=funded, amount=60, run_id=7, key="run-7-hold")
    points_refund(team=funded, amount=20, run_id=7, key="run-7-task-1-refund")
    points_grant(team=other_team, amount=5, reason="Trial", user=admin, key="trial-globex")

    assert wallet_differences() == []


def test_it_finds_nothing_without_wallets(db):
    assert wallet_differences() == []


def test_it_reports_a_tampered_balance(funded, other_team, admin):
    points_grant(team=other_team, amount=5, reason="Trial", user=admin, key="trial-globex")
    Wallet.objects.filter(team=funded).update(balance=999)

    differences = wallet_differences()

    assert len(differences) == 1
    assert "Acme" in differences[0]
    assert "999" in differences[0] and "100" in differences[0]


def test_it_reports_a_balance_after_out_of_sequence(funded):
    hold = points_hold(team=funded, amount=60, run_id=7, key="run-7-hold")
    LedgerEntry.objects.filter(pk=hold.pk).update(balance_after=50)

    differences = wallet_differences()

    assert len(differences) == 1
    assert "run-7-hold" in differences[0]
    assert "50" in differences[0] and "40" in differences[0]


def test_a_worker_machine_with_a_skewed_clock_is_not_a_difference(funded):
    hold = points_hold(team=funded, amount=60, run_id=7, key="run-7-hold")
    # Written later but stamped a day earlier by a machine whose clock is off: the order of ids still holds.
    LedgerEntry.objects.filter(pk=hold.pk).update(created_at=timezone.now() - timezone.timedelta(days=1))

    assert wallet_differences() == []


def test_it_runs_wallet_differences_first():
    assert CHECKS[0] is wallet_differences
