"""The driver: claims due tasks and enqueues one worker step for each, every half second.

django-q2's scheduler wakes only about every 30 s, too slow for 2–5 s polling, so the driver is a
chain: `driver_tick` loops for a while, then enqueues itself again. A lease row makes sure only one
chain runs across all worker machines. A chain that died with its worker is restarted when a worker
process starts (django-q2's post_spawn signal, see apps.py: a dead holder on the same host is taken
over at once) and, failing that, by a django-q2 Schedule every minute (the watchdog, see the migration;
the chain puts it back if it is gone).
"""

import logging
import os
import socket
import time
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

from studio.core.broker import process_broker
from studio.runs.models import ACTIVE_TASK_STATES, TERMINAL_TASK_STATES, Task, TaskState, WorkerLease
from studio.vendors.models import VendorAccount

logger = logging.getLogger(__name__)

LEASE_NAME = "runs-driver"
WATCHDOG_NAME = "runs-driver-watchdog"
LEASE_SECONDS = 10
LOOP_SECONDS = 20
IDLE_SLEEP_SECONDS = 0.5
CLAIM_BATCH = 50


def wake() -> None:
    """Starts a chain now; it returns at once if a live one is already running."""
    async_task("studio.runs.driver.driver_tick", task_name="runs-driver-wake", broker=process_broker())


def driver_tick(loop_seconds: float = LOOP_SECONDS) -> int:
    """One link of the chain. Returns how many steps it enqueued (for tests)."""
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    if not _take_lease(holder):
        return 0
    ensure_watchdog()
    enqueued = 0
    ends = time.monotonic() + loop_seconds
    try:
        while time.monotonic() < ends:
            for task_id, token in claim_due_tasks():
                # save=False: successful steps leave no django-q2 task row behind (failed ones still do).
                async_task(
                    "studio.runs.worker.task_step", task_id, token,
                    task_name=f"task-{task_id}", save=False, broker=process_broker(),
                )  # fmt: skip
                enqueued += 1
            if not _renew_lease(holder):
                return enqueued  # another holder took over: let it drive
            time.sleep(IDLE_SLEEP_SECONDS)
    finally:
        _release_lease(holder)
    if _work_remains():
        async_task("studio.runs.driver.driver_tick", task_name="runs-driver", broker=process_broker())
    return enqueued


def claim_due_tasks(limit: int = CLAIM_BATCH) -> list[tuple[int, str]]:
    """Due tasks, each claimed for TASK_CLAIM_SECONDS with a token: only the step holding it may act.

    A waiting task is claimed only while its vendor account has a free slot, so a run of hundreds of
    jobs does not flood the queue with steps that can only find the vendor busy. Waiting tasks of a full
    account are left out of the query itself: ahead of everything else in due order, they would otherwise
    fill the candidates and starve the polls that free the slots.
    """
    now = timezone.now()
    free = _free_slots(now)
    unclaimed = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    due = Q(state__in=[TaskState.RECOVERING, TaskState.RUNNING, TaskState.COLLECTING], next_action_at__lte=now) | Q(
        state=TaskState.PENDING, next_action_at__lte=now, account_id__in=[pk for pk, n in free.items() if n > 0]
    )
    lost = Q(state=TaskState.SUBMITTING) & unclaimed  # its worker died (or failed) mid-call
    candidates = (
        Task.objects.filter((unclaimed & due) | lost)
        .order_by("next_action_at")
        .values_list("pk", "state", "account_id")[: limit * 10]
    )
    claimed = []
    until = now + timedelta(seconds=settings.TASK_CLAIM_SECONDS)
    for task_id, state, account_id in candidates:
        if state == TaskState.PENDING and free.get(account_id, 0) <= 0:
            continue
        token = uuid.uuid4().hex
        # The update only succeeds if nobody claimed it in between: a claim is a compare-and-set.
        if Task.objects.filter(unclaimed, pk=task_id).update(claimed_until=until, claim_token=token):
            claimed.append((task_id, token))
            if state == TaskState.PENDING:
                free[account_id] -= 1
        if len(claimed) >= limit:
            break
    return claimed


def _free_slots(now) -> dict[int, int]:
    """Per vendor account: its limit of tasks in flight, less those in flight or about to be sent."""
    busy = Q(state__in=ACTIVE_TASK_STATES) | Q(state=TaskState.PENDING, claimed_until__gte=now)
    # order_by(): Task's default ordering (by run) would join every run ever made into this count.
    in_flight = Task.objects.filter(busy).order_by().values("account").annotate(n=Count("id"))
    in_flight = dict(in_flight.values_list("account", "n"))
    limits = VendorAccount.objects.values_list("pk", "max_concurrent_tasks")
    return {pk: limit - in_flight.get(pk, 0) for pk, limit in limits}


def _work_remains() -> bool:
    return Task.objects.exclude(state__in=TERMINAL_TASK_STATES).exists()


def _take_lease(holder: str) -> bool:
    now = timezone.now()
    expires = now + timedelta(seconds=LEASE_SECONDS)
    if WorkerLease.objects.filter(name=LEASE_NAME, expires_at__lt=now).update(holder=holder, expires_at=expires):
        return True
    current = WorkerLease.objects.filter(name=LEASE_NAME).values_list("holder", flat=True).first()
    if current and _died_on_this_host(current):
        # A worker restarted after a crash: its old chain is gone, no need to wait for the lease to run out.
        return bool(
            WorkerLease.objects.filter(name=LEASE_NAME, holder=current).update(holder=holder, expires_at=expires)
        )
    try:
        with transaction.atomic():
            WorkerLease.objects.create(name=LEASE_NAME, holder=holder, expires_at=expires)
    except IntegrityError:
        return False  # a live chain holds it
    return True


def _died_on_this_host(holder: str) -> bool:
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    return host == socket.gethostname() and pid.isdigit() and not _alive(int(pid))


def _alive(pid: int) -> bool:
    """A killed process can linger as a zombie until reaped (containers often lack an init that reaps)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    except OSError:  # no /proc here (macOS): ask the kernel, zombies included
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state not in ("Z", "X")


def ensure_watchdog() -> None:
    """The every-minute Schedule that restarts a dead chain (made by migration 0002; this heals it).

    Called by the lease holder only, so two workers never create it at once (its name is not unique).
    """
    watchdogs = list(Schedule.objects.filter(name=WATCHDOG_NAME).order_by("pk").values_list("pk", flat=True))
    if not watchdogs:
        Schedule.objects.create(name=WATCHDOG_NAME, func="studio.runs.driver.driver_tick",
                                schedule_type=Schedule.MINUTES, minutes=1, repeats=-1)  # fmt: skip
    elif len(watchdogs) > 1:
        Schedule.objects.filter(pk__in=watchdogs[1:]).delete()


def _renew_lease(holder: str) -> bool:
    expires = timezone.now() + timedelta(seconds=LEASE_SECONDS)
    return bool(WorkerLease.objects.filter(name=LEASE_NAME, holder=holder).update(expires_at=expires))


def _release_lease(holder: str) -> None:
    WorkerLease.objects.filter(name=LEASE_NAME, holder=holder).update(expires_at=timezone.now())
