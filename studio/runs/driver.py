"""The driver: claims due tasks and enqueues one worker step for each, every half second.

django-q2's scheduler wakes only about every 30 s, too slow for 2–5 s polling, so the driver is a
chain: `driver_tick` loops for a while, then enqueues itself again. A lease row makes sure only one
chain runs across all worker machines. A chain that died with its worker is restarted when a worker
process starts (django-q2's post_spawn signal, see apps.py) and, failing that, by a django-q2
Schedule every minute (the watchdog, see the migration).
"""

import logging
import os
import socket
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task

from studio.runs.models import Task, TaskState, WorkerLease

logger = logging.getLogger(__name__)

LEASE_NAME = "runs-driver"
LEASE_SECONDS = 10
LOOP_SECONDS = 20
IDLE_SLEEP_SECONDS = 0.5
CLAIM_BATCH = 50


def wake(*, after_restart: bool = False) -> None:
    """Starts a chain now; it returns at once if one is already running.

    After a restart the old chain's lease may not have run out yet: that tick waits for it.
    """
    async_task("studio.runs.driver.driver_tick", wait_for_lease=after_restart, task_name="runs-driver-wake")


def driver_tick(loop_seconds: float = LOOP_SECONDS, wait_for_lease: bool = False) -> int:
    """One link of the chain. Returns how many steps it enqueued (for tests)."""
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    if not _take_lease(holder):
        if not wait_for_lease:
            return 0
        time.sleep(LEASE_SECONDS + 0.5)  # a live chain renews it meanwhile; a dead one's runs out
        if not _take_lease(holder):
            return 0
    enqueued = 0
    ends = time.monotonic() + loop_seconds
    try:
        while time.monotonic() < ends:
            for task_id in claim_due_tasks():
                async_task("studio.runs.worker.task_step", task_id, task_name=f"task-{task_id}")
                enqueued += 1
            if not _renew_lease(holder):
                return enqueued  # another holder took over: let it drive
            time.sleep(IDLE_SLEEP_SECONDS)
    finally:
        _release_lease(holder)
    if _work_remains():
        async_task("studio.runs.driver.driver_tick", task_name="runs-driver")
    return enqueued


def claim_due_tasks(limit: int = CLAIM_BATCH) -> list[int]:
    """Due tasks, each claimed for TASK_CLAIM_SECONDS so no other step takes it meanwhile."""
    now = timezone.now()
    unclaimed = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    due = Q(state__in=[TaskState.PENDING, TaskState.RUNNING, TaskState.COLLECTING], next_action_at__lte=now)
    lost = Q(state=TaskState.SUBMITTING) & unclaimed  # its worker died (or failed) mid-call
    candidates = Task.objects.filter((unclaimed & due) | lost).order_by("next_action_at").values_list("pk", flat=True)
    claimed = []
    until = now + timedelta(seconds=settings.TASK_CLAIM_SECONDS)
    for task_id in candidates[:limit]:
        # The update only succeeds if nobody claimed it in between: a claim is a compare-and-set.
        if Task.objects.filter(unclaimed, pk=task_id).update(claimed_until=until):
            claimed.append(task_id)
    return claimed


def _work_remains() -> bool:
    return Task.objects.exclude(
        state__in=[TaskState.SUCCEEDED, TaskState.PARTIAL, TaskState.FAILED, TaskState.CANCELED]
    ).exists()


def _take_lease(holder: str) -> bool:
    now = timezone.now()
    expires = now + timedelta(seconds=LEASE_SECONDS)
    if WorkerLease.objects.filter(name=LEASE_NAME, expires_at__lt=now).update(holder=holder, expires_at=expires):
        return True
    try:
        with transaction.atomic():
            WorkerLease.objects.create(name=LEASE_NAME, holder=holder, expires_at=expires)
    except IntegrityError:
        return False  # a live chain holds it
    return True


def _renew_lease(holder: str) -> bool:
    expires = timezone.now() + timedelta(seconds=LEASE_SECONDS)
    return bool(WorkerLease.objects.filter(name=LEASE_NAME, holder=holder).update(expires_at=expires))


def _release_lease(holder: str) -> None:
    WorkerLease.objects.filter(name=LEASE_NAME, holder=holder).update(expires_at=timezone.now())
