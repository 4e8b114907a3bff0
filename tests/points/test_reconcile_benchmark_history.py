"""The reconcile benchmark's made-up history must reconcile, or its figures would measure the wrong path."""

from django.core.management import call_command

from studio.benchmarks.reconcile import grow_to
from studio.runs.models import Task
from studio.runs.reconcile import run_charge_differences


def test_the_benchmark_history_reconciles_and_grows_in_steps(db):
    grow_to(30)
    grow_to(50)

    assert Task.objects.count() == 50
    assert run_charge_differences(batch=2) == []
    call_command("reconcile_points")
