"""The engine across real `manage.py qcluster` processes: two clusters share a run, a killed one's tasks are
taken over within seconds, and SIGTERM stops a cluster cleanly."""

import os
import signal
import socket
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from studio.runs.models import TERMINAL_TASK_STATES, Task, TaskState
from studio.runs.services import PlannedCall, PlannedInput, runs_submit
from studio.vendors.models import Offering, VendorAccount
from tests.images import distinct_png
from tests.run_fixtures import describe_processes, process_group, wait_for
from tests.runs.test_end_to_end import asset

pytestmark = pytest.mark.django_db(transaction=True)


def watermark_run(accounts, project, staff, jobs: int):
    products = [asset(project, staff, f"p{n}.png", distinct_png(n)) for n in range(jobs)]
    offering = Offering.objects.get(account=accounts["hdredraw"], operation="remove_watermark")
    calls = [PlannedCall({}, (PlannedInput(p, "product"),)) for p in products]
    return runs_submit(project=project, offering=offering, user=staff, calls=calls)


def owners(cluster_process) -> set[str]:
    return {f"{socket.gethostname()}:{pid}" for pid in process_group(cluster_process.pid)}


def wait_until(condition, *, timeout: float, every: float = 0.05) -> float:
    """Seconds until `condition()` held; fails after `timeout`."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, f"not within {timeout} s"
        time.sleep(every)
    return time.monotonic() - started


def test_two_clusters_share_a_run_and_a_killed_ones_tasks_are_taken_over_within_seconds(
    accounts, simulator, project, staff, funded, qcluster, settings
):
    simulator.latency = 0.5
    run = watermark_run(accounts, project, staff, jobs=30)
    first, second = qcluster.start(), qcluster.start()
    claimed_by = lambda cluster: Task.objects.filter(claimed_by__in=owners(cluster))  # noqa: E731
    wait_until(lambda: claimed_by(first).exists() and claimed_by(second).exists(), timeout=60)
    wait_until(lambda: run.outputs.count() >= 5, timeout=60)

    dead = owners(first)
    qcluster.kill(only=first)  # kill -9 of one machine's cluster, mid-run
    held_by_the_dead = Task.objects.filter(claimed_by__in=dead).exclude(state__in=TERMINAL_TASK_STATES)
    stalled_for = wait_until(lambda: not held_by_the_dead.exists(), timeout=20)

    assert stalled_for < 10  # its claims ran out (TASK_CLAIM_SECONDS=5 here) and the other cluster took them
    run = wait_for(run, timeout=120, cluster=qcluster)
    assert run.tasks_open == 0 and run.tasks_succeeded + run.tasks_uncertain == 30
    assert VendorAccount.objects.get(pk=accounts["hdredraw"].pk).slots_in_use == 0
    made_by_vendor = simulator.ledger_summary()["hdredraw"]["created"]
    known = run.tasks.exclude(vendor_task_id="").count()
    assert known <= made_by_vendor <= known + run.tasks_uncertain  # never sent twice
    call_command("reconcile_points")


@pytest.mark.parametrize("whom", ["process group", "main process"])
def test_sigterm_stops_a_cluster_cleanly_finishing_its_steps_and_giving_back_its_claims(
    whom, accounts, simulator, project, staff, funded, qcluster
):
    """systemd signals the whole group; `docker stop` (no init) only the main process."""
    simulator.latency = 1.0  # every vendor call is under way for a second: SIGTERM lands mid-call
    run = watermark_run(accounts, project, staff, jobs=20)
    cluster = qcluster.start()
    wait_until(lambda: run.outputs.count() >= 2, timeout=60)
    mine = owners(cluster)

    if whom == "process group":
        os.killpg(cluster.pid, signal.SIGTERM)
    else:
        os.kill(cluster.pid, signal.SIGTERM)
    try:
        wait_until(lambda: not process_group(cluster.pid), timeout=30, every=0.1)
    except AssertionError:
        raise AssertionError(f"still running:\n{describe_processes(cluster.pid)}\n{qcluster.logs()}") from None

    assert not Task.objects.filter(claimed_by__in=mine).exists()  # nothing left for a claim to run out
    assert not run.tasks.filter(state=TaskState.SUBMITTING).exists()  # no call cut in the middle

    qcluster.start()
    run = wait_for(run, timeout=120, cluster=qcluster)
    assert run.tasks_succeeded == 20 and not run.tasks.filter(state=TaskState.UNCERTAIN).exists()
    assert simulator.ledger_summary()["hdredraw"]["created"] == 20


def test_workers_whose_cluster_died_give_back_their_claims_and_stop_instead_of_claiming_for_ever(
    accounts, simulator, project, staff, funded, qcluster
):
    """An orphan worker (its sentinel killed, or forked just as SIGTERM reached the group, so it never had it)
    would claim tasks that nothing runs, for as long as it lives."""
    run = watermark_run(accounts, project, staff, jobs=20)
    cluster = qcluster.start()
    wait_until(lambda: Task.objects.exclude(claimed_by="").exists(), timeout=60)
    workers = {int(owner.rsplit(":", 1)[1]) for owner in Task.objects.exclude(claimed_by="").values_list(
        "claimed_by", flat=True)}  # fmt: skip
    sentinel = {parent_of(pid) for pid in workers}
    assert len(sentinel) == 1 and sentinel != {cluster.pid}

    os.kill(sentinel.pop(), signal.SIGKILL)

    wait_until(lambda: not workers & set(process_group(cluster.pid)), timeout=30, every=0.1)
    assert not Task.objects.filter(claimed_by__in=[f"{socket.gethostname()}:{pid}" for pid in workers]).exists()
    assert not run.tasks.filter(state=TaskState.SUBMITTING).exists()


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
