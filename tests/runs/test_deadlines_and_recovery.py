"""Deadlines never throw away a finished result; a worker killed mid-submit pays no vendor twice;
lingtu requestIds are unique across installs; cancel is asked once."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from studio.runs.engine import claim_due_tasks
from studio.runs.models import Output, Run, RunState, Task, TaskState
from studio.runs.worker import task_step
from studio.vendors.catalogue import adapter_class
from tests.run_fixtures import drive
from tests.runs.vendor_plans import KINDS, one_job

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def short_waits(settings):
    settings.LOST_TASK_SEARCH_SECONDS = 2


def step_until(run: Run, state: str, timeout: float = 20) -> Task:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = run.tasks.get()
        if task.state == state:
            return task
        for task_id, token in claim_due_tasks():
            task_step(task_id, token)
        time.sleep(0.02)
    raise AssertionError(f"task never reached {state}: {run.tasks.values('state', 'error_message')[0]}")


def test_a_result_the_vendor_finished_after_the_deadline_is_collected_not_refunded(
    accounts, simulator, project, staff, funded
):
    run = one_job("imagetasks", accounts, project, staff)
    step_until(run, TaskState.RUNNING)
    Task.objects.filter(run=run).update(deadline_at=timezone.now() - timedelta(minutes=5))  # the worker fell behind
    time.sleep(simulator.latency + 0.1)  # meanwhile the vendor finished (and billed) it

    run = drive(run)

    assert run.state == RunState.SUCCEEDED and run.points_refunded == 0
    assert Output.objects.filter(run=run).exists()


def test_a_task_still_running_at_its_deadline_is_given_up_and_canceled_at_the_vendor(
    accounts, simulator, project, staff, funded
):
    simulator.latency = 30  # the job stays "waiting" at lingtu, where it can still be canceled
    run = one_job("lingtu", accounts, project, staff)
    step_until(run, TaskState.RUNNING)
    Task.objects.filter(run=run).update(deadline_at=timezone.now() - timedelta(seconds=1))

    run = drive(run)

    task = run.tasks.get()
    assert task.state == TaskState.FAILED and "minutes of accepting it" in task.error_message
    assert run.points_refunded == run.points_charged
    assert simulator.calls["lingtu POST /aigc/job/cancel"] == 1
    assert simulator.ledger_summary()["lingtu"]["refunded"] == 1  # the vendor gave its generation back


def test_the_deadline_counts_from_the_vendors_acceptance_with_each_vendors_own_default(
    accounts, simulator, project, staff, funded
):
    assert accounts["suchuang"].task_deadline == 180  # its document's client gives up after 180 s
    assert accounts["imagewash"].task_deadline == 15 * 60
    accounts["suchuang"].task_deadline_seconds = 40
    accounts["suchuang"].save()

    task = step_until(one_job("suchuang", accounts, project, staff), TaskState.RUNNING)

    assert task.deadline_at - task.submitted_at == timedelta(seconds=40)


def test_a_canceled_run_asks_lingtu_to_cancel_once_not_on_every_poll(accounts, simulator, project, staff, funded):
    from studio.runs.services import runs_cancel

    simulator.latency = 2.0
    run = one_job("lingtu", accounts, project, staff)
    step_until(run, TaskState.RUNNING)
    time.sleep(0.5)  # the job is executing now: lingtu cancels only waiting jobs
    runs_cancel(run=run)

    run = drive(run)

    assert simulator.calls["lingtu POST /aigc/job/cancel"] == 1
    assert simulator.calls["lingtu POST /aigc/job/result"] >= 2  # polled on to the end after the refusal
    assert run.state == RunState.SUCCEEDED  # a job that could not be stopped is kept, not thrown away


def test_links_that_expired_before_the_download_say_so_and_what_to_do(accounts, simulator, project, staff, funded):
    from studio.simulator.core import Fault

    simulator.add_fault(Fault("expired_results", times=10))
    run = drive(one_job("imagetasks", accounts, project, staff))

    task = run.tasks.get()
    assert task.state == TaskState.FAILED and run.points_refunded == run.points_charged
    assert "no longer worked (HTTP 404)" in task.error_message and "retry" in task.error_message


class WorkerKilled(BaseException):
    """Raised right after the vendor got the submit: the process is gone before it saw the answer."""


@pytest.mark.parametrize("kind", KINDS)
def test_a_worker_killed_mid_submit_pays_no_vendor_twice(
    kind, accounts, simulator, project, staff, funded, monkeypatch
):
    adapter = adapter_class(kind)
    real_submit = adapter.submit

    def submit_then_die(self, request):
        real_submit(self, request)
        raise WorkerKilled

    monkeypatch.setattr(adapter, "submit", submit_then_die)
    run = one_job(kind, accounts, project, staff)
    with pytest.raises(WorkerKilled):
        for task_id, token in claim_due_tasks():
            task_step(task_id, token)
    assert run.tasks.get().state == TaskState.SUBMITTING
    monkeypatch.setattr(adapter, "submit", real_submit)

    run = drive(run)

    task = run.tasks.get()
    assert simulator.ledger_summary()[kind]["created"] == 1
    if kind in ("lingtu", "suchuang"):
        assert task.state == TaskState.SUCCEEDED and run.points_refunded == 0
    else:
        assert task.state == TaskState.UNCERTAIN and run.points_refunded == run.points_charged
        assert "worker stopped while sending" in task.error_message


def test_two_installs_sharing_one_lingtu_account_never_get_each_others_jobs(
    accounts, simulator, project, staff, funded
):
    first = drive(one_job("lingtu", accounts, project, staff, number=1))
    first_images = set(first.outputs.values_list("sha256", flat=True))
    first_task = first.tasks.get()
    # A second install (or a restored backup) counts runs and tasks from the same numbers again.
    Run.objects.all().delete()
    _next_ids({Run: first.pk, Task: first_task.pk})

    second = drive(one_job("lingtu", accounts, project, staff, number=2))

    assert second.pk == first.pk  # the same run number as the other install's
    assert second.tasks.get().pk == first_task.pk
    assert second.tasks.get().idempotency_key != first_task.idempotency_key
    assert simulator.ledger_summary()["lingtu"]["created"] == 2  # a new job, not the other install's
    assert not first_images & set(second.outputs.values_list("sha256", flat=True))


def _next_ids(next_ids: dict) -> None:
    with connection.cursor() as cursor:
        for model, next_id in next_ids.items():
            table = model._meta.db_table
            if connection.vendor == "sqlite":
                cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [next_id - 1, table])
            else:
                cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)", [table, next_id])


def test_a_task_adopted_by_mistake_is_given_back_when_the_vendor_names_its_owner(
    accounts, simulator, project, staff, funded
):
    """Two suchuang tasks alike; the lost one took the other's vendor task before that one's slow answer came."""
    from studio.runs.worker import _accepted
    from studio.vendors.base import Status
    from studio.vendors.base import TaskState as VendorTaskState

    lost, slow = one_job("suchuang", accounts, project, staff, number=1), one_job("suchuang", accounts, project, staff)
    Task.objects.filter(run=lost).update(
        state=TaskState.RUNNING, vendor_task_id="TASK-1", submitted_details={"adopted": True}
    )

    _accepted(slow.tasks.get(), VendorTaskState(Status.RUNNING, vendor_task_id="TASK-1"))

    taken_back = lost.tasks.get()
    assert taken_back.state == TaskState.RECOVERING and taken_back.vendor_task_id == ""  # it looks again
    assert slow.tasks.get().vendor_task_id == "TASK-1"
