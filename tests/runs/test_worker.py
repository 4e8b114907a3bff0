"""A run from submit to stored outputs, through the worker's steps and the real simulator over HTTP."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from studio.points.services import InsufficientPoints, points_balance
from studio.runs.models import OutputKind, Run, RunState, Task, TaskState
from studio.runs.services import PlannedCall, PlannedInput, runs_submit
from studio.simulator.core import Fault
from studio.vendors.models import Offering
from tests.run_fixtures import drive

pytestmark = pytest.mark.django_db(transaction=True)


def wash(accounts, project, staff, products, reference=None, count=2, prompt="linen on a sunny terrace"):
    offering = Offering.objects.get(account=accounts["imagewash"], operation="wash", model="nanoBanana2")
    inputs = [PlannedInput(asset, "product") for asset in products]
    if reference is not None:
        inputs.append(PlannedInput(reference, "reference"))
    call = PlannedCall({"prompt": prompt, "count": count, "resolution": "1k"}, tuple(inputs))
    return runs_submit(project=project, offering=offering, user=staff, calls=[call])


def test_a_wash_of_five_products_with_a_reference_and_count_two_gives_ten_outputs(
    accounts, project, staff, funded, products
):
    reference, products = products[5], products[:5]
    run = wash(accounts, project, staff, products, reference=reference, count=2)
    before = points_balance(team=funded)
    assert run.outputs_expected == 10 and run.points_charged == 10 * 4
    assert before == 10_000 - 40

    run = drive(run)

    assert run.state == RunState.SUCCEEDED
    outputs = list(run.outputs.filter(kind=OutputKind.IMAGE))
    assert len(outputs) == 10
    assert all(output.thumbnail and output.width for output in outputs)
    assert {output.source_asset_id for output in outputs} == {asset.pk for asset in products}
    assert run.points_refunded == 0 and points_balance(team=funded) == before
    call_command("reconcile_points")


def test_a_failed_task_is_refunded_and_the_run_says_why(accounts, simulator, project, staff, funded, products):
    simulator.add_fault(Fault("fail_task", vendor="imagewash"))
    run = drive(wash(accounts, project, staff, products[:2], count=1))

    assert run.state == RunState.FAILED
    task = run.tasks.get()
    assert task.state == TaskState.FAILED and task.error_message
    assert run.points_refunded == run.points_charged == 8
    assert points_balance(team=funded) == 10_000
    call_command("reconcile_points")


def test_a_partial_result_refunds_only_the_missing_outputs(accounts, simulator, project, staff, funded, products):
    simulator.add_fault(Fault("partial_failure", vendor="imagewash"))
    run = drive(wash(accounts, project, staff, products[:4], count=1))

    assert run.state == RunState.PARTIAL
    stored = run.outputs.filter(kind=OutputKind.IMAGE).count()
    assert 0 < stored < 4
    assert run.points_refunded == (4 - stored) * 4
    call_command("reconcile_points")


def test_rate_limits_and_server_errors_are_waited_out(
    accounts, simulator, project, staff, funded, products, monkeypatch
):
    monkeypatch.setattr("studio.runs.retry.RATE_LIMIT_FLOOR_SECONDS", 0.1)
    monkeypatch.setattr("studio.runs.retry.BASE_SECONDS", 0.1)
    simulator.add_fault(Fault("rate_limit", vendor="imagewash", times=2))
    simulator.add_fault(Fault("server_error", vendor="imagewash", endpoint="/common/result", times=1))
    simulator.add_fault(Fault("malformed_json", vendor="imagewash", endpoint="/common/result", times=1))
    run = drive(wash(accounts, project, staff, products[:1], count=1))

    assert run.state == RunState.SUCCEEDED
    assert run.tasks.get().attempts == 0
    call_command("reconcile_points")


def test_expired_result_urls_end_the_task_with_a_refund(accounts, simulator, project, staff, funded, products):
    simulator.add_fault(Fault("expired_results", times=10))
    run = drive(wash(accounts, project, staff, products[:1], count=1))
    assert run.state == RunState.FAILED
    assert run.points_refunded == 4
    call_command("reconcile_points")


def test_a_job_the_team_cannot_afford_is_refused_before_anything_is_created(accounts, project, staff, products):
    with pytest.raises(InsufficientPoints) as refused:
        wash(accounts, project, staff, products[:2], count=1)
    assert refused.value.shortfall == 8
    assert not Run.objects.exists() and not Task.objects.exists()


def test_a_task_lost_mid_submit_is_not_sent_again_to_a_vendor_that_cannot_deduplicate(
    accounts, simulator, project, staff, funded, products
):
    run = wash(accounts, project, staff, products[:1], count=1)
    # As if the worker died during the call: the state says "sending", and its claim has run out.
    Task.objects.filter(run=run).update(state=TaskState.SUBMITTING, holds_slot=True, claimed_until=timezone.now())
    calls_before = simulator.calls["imagewash"]

    run = drive(run)

    assert simulator.calls["imagewash"] == calls_before
    assert run.state == RunState.FAILED
    assert "not sent again" in run.tasks.get().error_message
    assert points_balance(team=funded) == 10_000


def test_reconcile_notices_a_run_charged_more_than_its_outputs_are_worth(accounts, project, staff, funded, products):
    from django.core.management.base import CommandError

    run = drive(wash(accounts, project, staff, products[:2], count=1))
    call_command("reconcile_points")
    run.outputs.first().delete()  # an output lost after the fact: the charge no longer matches

    with pytest.raises(CommandError):
        call_command("reconcile_points")
