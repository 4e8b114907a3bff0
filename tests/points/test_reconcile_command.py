from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from studio.points import reconcile
from studio.points.models import Wallet
from studio.points.services import points_grant, points_hold


def test_it_prints_ok_on_a_clean_ledger(funded, other_team, admin):
    points_hold(team=funded, amount=60, run_id=7, key="run-7-hold")
    points_grant(team=other_team, amount=5, reason="Trial", user=admin, key="trial-globex")
    out = StringIO()

    call_command("reconcile_points", stdout=out)

    assert out.getvalue().strip() == "ok: 2 wallets, 3 ledger entries reconcile"


def test_it_prints_every_difference_and_fails(funded):
    Wallet.objects.filter(team=funded).update(balance=999)
    out = StringIO()

    with pytest.raises(CommandError):
        call_command("reconcile_points", stdout=out)

    assert "balance 999" in out.getvalue()
    assert "ok:" not in out.getvalue()


def test_it_runs_the_checks_other_apps_add(funded, monkeypatch):
    monkeypatch.setattr(reconcile, "CHECKS", [*reconcile.CHECKS, lambda: ["Run #7 charged 60 for 2 outputs."]])
    out = StringIO()

    with pytest.raises(CommandError):
        call_command("reconcile_points", stdout=out)

    assert "Run #7 charged 60 for 2 outputs." in out.getvalue()
