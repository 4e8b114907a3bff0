"""The driver's lease: one chain at a time, and a dead holder's chain taken over at once on restart."""

import os
import socket
import subprocess
import sys
import time
from datetime import timedelta

from django.utils import timezone
from django_q.models import Schedule

from studio.runs.driver import LEASE_NAME, WATCHDOG_NAME, _take_lease, ensure_watchdog
from studio.runs.models import WorkerLease


def lease_held_by(pid: int) -> None:
    expires = timezone.now() + timedelta(seconds=60)
    WorkerLease.objects.create(name=LEASE_NAME, holder=f"{socket.gethostname()}:{pid}:abcd", expires_at=expires)


def test_a_live_chains_lease_is_respected(db):
    lease_held_by(os.getpid())
    assert not _take_lease("newcomer")


def test_a_dead_holders_lease_is_taken_over_at_once_even_if_it_lingers_as_a_zombie(db):
    child = subprocess.Popen([sys.executable, "-c", "pass"])  # noqa: S603
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # exited but not reaped: a zombie, as a kill -9 cluster's workers can be
        with open(f"/proc/{child.pid}/stat") as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                break
        time.sleep(0.01)
    else:
        raise AssertionError("the child never became a zombie")
    lease_held_by(child.pid)
    assert _take_lease("newcomer")
    assert WorkerLease.objects.get().holder == "newcomer"
    child.wait()


def test_the_watchdog_schedule_is_put_back_if_it_is_gone_and_kept_single(db):
    Schedule.objects.all().delete()
    ensure_watchdog()
    ensure_watchdog()
    assert Schedule.objects.filter(name=WATCHDOG_NAME).count() == 1
    Schedule.objects.create(name=WATCHDOG_NAME, func="x", schedule_type="I", minutes=1)  # a duplicate from elsewhere
    ensure_watchdog()
    watchdog = Schedule.objects.get(name=WATCHDOG_NAME)
    assert (watchdog.func, watchdog.schedule_type, watchdog.minutes) == ("studio.runs.driver.driver_tick", "I", 1)


def waiting_jobs(project, staff, monkeypatch, *, slots: int, jobs: int):
    """`jobs` upscales waiting for an hdredraw account with `slots` tasks in flight at most."""
    from studio.assets.ingest import asset_ingest
    from studio.points.services import points_grant
    from studio.runs.services import PlannedCall, PlannedInput, runs_submit
    from studio.vendors.models import Offering, VendorAccount
    from studio.vendors.services import offerings_load
    from tests import images
    from tests.images import upload

    monkeypatch.setattr("studio.runs.services._wake_the_worker", lambda: None)
    account = VendorAccount.objects.create(kind="hdredraw", name="hd", base_url="https://vendor.invalid",
                                           max_concurrent_tasks=slots)  # fmt: skip
    offerings_load(account=account)
    points_grant(team=project.team, amount=100_000, reason="budget", user=staff, key="budget")
    products = [asset_ingest(project=project, upload=upload(f"{n}.png", images.distinct_png(n)), user=staff).asset
                for n in range(jobs)]  # fmt: skip
    offering = Offering.objects.get(account=account, operation="upscale")
    calls = [PlannedCall({}, (PlannedInput(product, "product"),)) for product in products]
    return runs_submit(project=project, offering=offering, user=staff, calls=calls)


def test_waiting_jobs_are_claimed_only_up_to_the_vendor_accounts_free_slots(db, project, staff, monkeypatch):
    from studio.runs.driver import claim_due_tasks

    waiting_jobs(project, staff, monkeypatch, slots=2, jobs=5)

    assert len(claim_due_tasks()) == 2
    assert claim_due_tasks() == []  # the two claimed ones fill the account until they are done


def test_waiting_jobs_of_a_full_account_never_starve_the_polls_that_free_it(db, project, staff, monkeypatch):
    """Hundreds of waiting jobs come first in due order; the running ones must still be claimed."""
    from studio.runs.driver import claim_due_tasks
    from studio.runs.models import TaskState

    run = waiting_jobs(project, staff, monkeypatch, slots=1, jobs=30)
    running = run.tasks.order_by("-pk").first()  # the account's one slot: at the vendor, due for a poll
    run.tasks.filter(pk=running.pk).update(state=TaskState.RUNNING, next_action_at=timezone.now())

    claimed = claim_due_tasks(limit=1)  # 10 candidates looked at, all 29 waiting jobs older than the poll

    assert [task_id for task_id, _token in claimed] == [running.pk]


def test_every_enqueue_of_a_process_shares_one_broker(db, project, staff, monkeypatch):
    """django-q2 would open a new broker (a Redis connection) for each task it enqueues."""
    import django_q.brokers

    from studio.core import broker
    from studio.runs import driver

    made = []
    real_get_broker = django_q.brokers.get_broker
    monkeypatch.setattr(broker, "get_broker", lambda: made.append(1) or real_get_broker())
    monkeypatch.setattr(broker, "_BROKERS", {})
    waiting_jobs(project, staff, monkeypatch, slots=10, jobs=6)
    monkeypatch.setattr(driver, "_take_lease", lambda holder: True)

    enqueued = driver.driver_tick(loop_seconds=0.01)
    driver.wake()

    assert enqueued == 6 and len(made) == 1


def test_a_claim_never_reads_the_history_of_runs(db, project, staff, monkeypatch):
    """Task's default ordering is by run: a grouped count that kept it joined every run ever made."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from studio.runs.driver import claim_due_tasks

    waiting_jobs(project, staff, monkeypatch, slots=2, jobs=3)
    with CaptureQueriesContext(connection) as queries:
        claim_due_tasks()

    assert len(queries) <= 5 and not any("runs_run" in query["sql"] for query in queries)
