"""The run engine: every worker process claims its own due tasks. There is no driver and no lease.

The design is the database-as-queue one of Oban, GoodJob and Procrastinate, on the tables and the
django-q2 cluster the studio already runs:

- Each worker process has a claimer thread (started by django-q2's post_spawn signal, see apps.py).
  Every tick it takes due tasks with `SELECT … FOR UPDATE SKIP LOCKED`, only as many as it has room
  for, and enqueues them as one django-q2 task (`run_steps`) that any worker process runs; the steps
  of a batch run side by side on a small thread pool, since they mostly wait for a vendor.
  On SQLite (one machine) the same queries run inside IMMEDIATE transactions, which serialize claimers.
- A claim is short (TASK_CLAIM_SECONDS): a queued step must start within it, and a running step's
  process renews it every few seconds (the heartbeat). A process that dies stops renewing: its claims
  run out within seconds and another process takes the tasks over. A process asked to stop (SIGTERM, recycling)
  finishes the steps it is running and gives back the rest at once.
- A waiting task takes one of its vendor account's slots (max_concurrent_tasks) when it is claimed to
  be sent, under the account row's lock, and gives it back when it ends or waits again
  (`release_slot`); finding free slots reads one counter per account.

Why not a single loop claiming for everyone (the first design): it capped the installation at what one
process could claim, whatever the number of machines, and its death stalled every run until a
watchdog noticed.
"""

import logging
import multiprocessing.util
import os
import signal
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_q.tasks import async_task

from studio.core.broker import process_broker
from studio.runs.models import Task, TaskState
from studio.vendors.models import VendorAccount

logger = logging.getLogger(__name__)

TICK_SECONDS = 0.05  # after a tick that claimed something: more may be due soon
IDLE_TICK_SECONDS = 1.0  # a claimer that finds nothing waits a little longer each time, up to this
FULL_WAIT_SECONDS = 0.2  # a claimer without room waits for a step of its process to end, at most this
COUNT_PAUSE_SECONDS = 0.01  # and then this long, so that one count of its claims covers several ended steps
CONNECTION_CHECK_SECONDS = 5.0  # how often a step thread checks its database connection
STOP_GRACE_SECONDS = 45.0  # a stopping process waits this long for its running steps (a vendor read times out at 30)


def process_owner() -> str:
    """The name this process's claims carry (pid included, so a forked child gets its own)."""
    return f"{socket.gethostname()}:{os.getpid()}"


UNCLAIMED = {"claimed_until": None, "claim_token": "", "claimed_by": ""}  # a claim given back


def _claim_seconds() -> timedelta:
    return timedelta(seconds=settings.TASK_CLAIM_SECONDS)


def _unclaimed(now) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


# Claiming --------------------------------------------------------------------------------------------


def claim_due_tasks(limit: int = 20, owner: str | None = None) -> list[tuple[int, str]]:
    """Claims up to `limit` due tasks for `owner`; returns (task id, claim token) for each.

    First the tasks that already hold a slot (due polls, downloads, lost-task searches, and sends whose
    worker died), then waiting tasks, per vendor account only as many as it has free slots.
    """
    owner = owner or process_owner()
    now = timezone.now()
    claim = {"claimed_until": now + _claim_seconds(), "claim_token": uuid.uuid4().hex, "claimed_by": owner}
    in_slot = Task.objects.filter(_unclaimed(now), holds_slot=True, next_action_at__lte=now)
    with transaction.atomic():
        ids = _lock_due(in_slot, limit)
        Task.objects.filter(pk__in=ids).update(**claim)
    claimed = [(task_id, claim["claim_token"]) for task_id in ids]
    if len(claimed) < limit:
        claimed += _claim_waiting(limit - len(claimed), now, claim)
    return claimed


def _claim_waiting(limit: int, now, claim: dict) -> list[tuple[int, str]]:
    claimed = []
    accounts = VendorAccount.objects.filter(slots_in_use__lt=F("max_concurrent_tasks")).order_by("?")
    for account_id in accounts.values_list("pk", flat=True):
        with transaction.atomic():
            # Locked so two claimers never hand out the same slot; a claimer that finds it locked tries the next.
            account = (
                VendorAccount.objects.select_for_update(skip_locked=True)
                .filter(pk=account_id)
                .values("max_concurrent_tasks", "slots_in_use")
                .first()
            )
            if account is None:
                continue
            free = min(account["max_concurrent_tasks"] - account["slots_in_use"], limit - len(claimed))
            waiting = Task.objects.filter(
                _unclaimed(now), state=TaskState.PENDING, holds_slot=False, account_id=account_id,
                next_action_at__lte=now,
            )  # fmt: skip
            ids = _lock_due(waiting, free) if free > 0 else []
            if ids:
                Task.objects.filter(pk__in=ids).update(holds_slot=True, **claim)
                VendorAccount.objects.filter(pk=account_id).update(slots_in_use=F("slots_in_use") + len(ids))
        claimed += [(task_id, claim["claim_token"]) for task_id in ids]
        if len(claimed) >= limit:
            break
    return claimed


def _lock_due(tasks, limit: int) -> list[int]:
    """The most overdue of `tasks`, locked (PostgreSQL skips rows another claimer holds)."""
    if limit <= 0:
        return []
    locked = tasks.select_for_update(skip_locked=True).order_by("next_action_at")
    return list(locked.values_list("pk", flat=True)[:limit])


def release_slot(task: Task) -> None:
    """The task no longer counts against its account's concurrency (it ended, or waits to be sent again).

    Call inside the transaction that saves its new state; giving back twice is harmless.
    """
    if Task.objects.filter(pk=task.pk, holds_slot=True).update(holds_slot=False):
        VendorAccount.objects.filter(pk=task.account_id).update(slots_in_use=F("slots_in_use") - 1)
    task.holds_slot = False


def renew_claims(owner: str, running) -> int:
    """The heartbeat: the claims of the steps this process is running last another claim period.

    Queued steps are not renewed: a queued batch can be lost with another machine's cluster (its pusher
    takes batches from the shared broker ahead of its workers), and a claim renewed for a step that never
    comes would hold its task forever. Unrenewed, it runs out and the task is claimed again.
    """
    mine = Task.objects.filter(claimed_by=owner, pk__in=list(running))
    return mine.update(claimed_until=timezone.now() + _claim_seconds())


def claims_in_hand(owner: str) -> int:
    return Task.objects.filter(claimed_by=owner, claimed_until__gt=timezone.now()).count()


def release_claims(owner: str, *, keep=()) -> int:
    """Gives back this process's claims except `keep` (the steps it is running); their queued steps do nothing."""
    mine = Task.objects.filter(claimed_by=owner).exclude(pk__in=list(keep))
    return mine.update(**UNCLAIMED)


# Running ---------------------------------------------------------------------------------------------


class _Process:
    """What this process's engine holds: its step threads, the steps running now, whether it is stopping."""

    def __init__(self):
        self.pid = os.getpid()
        self.parent = os.getppid()  # django-q2's sentinel: when it is gone, this worker is an orphan
        self.pool = ThreadPoolExecutor(max_workers=settings.ENGINE_STEP_THREADS, thread_name_prefix="step")
        self.running: set[int] = set()
        self.lock = threading.Lock()
        self.room = threading.Condition(self.lock)  # a step thread came free
        self.stopping = threading.Event()
        self.step_ended = threading.Event()  # wakes the claimer of a process that had no room
        self.claimer: threading.Thread | None = None
        self.stop_by = float("inf")  # when a stopping process gives back its claims, steps ended or not


_STATE: _Process | None = None


def _process() -> _Process:
    global _STATE
    if _STATE is None or _STATE.pid != os.getpid():  # a forked child starts afresh
        _STATE = _Process()
    return _STATE


def run_steps(claims: list[tuple[int, str]]) -> None:
    """The django-q2 task: one step of each claimed task, side by side. The tasks are taken in one query
    per claim tick; steps not started when the process is asked to stop are left to its final release.

    It returns as soon as a step thread is free, not when its whole batch has ended: the worker then takes
    the next batch while the slowest steps of this one finish (waiting for each batch's slowest step held a
    process to one batch at a time, 16 steps in flight, however many threads it had)."""
    from studio.runs.worker import start_steps

    state = _process()
    by_token: dict[str, list[int]] = {}
    for task_id, token in claims:
        by_token.setdefault(token, []).append(task_id)
    with state.lock:  # a stop either comes first (nothing starts) or waits for these steps to end
        if state.stopping.is_set():
            return
        tasks = [task for token, ids in by_token.items() for task in start_steps(ids, token)]
        state.running.update(task.pk for task in tasks)
    for task in tasks:
        state.pool.submit(_run_one, state, task)
    with state.lock:
        state.room.wait_for(lambda: len(state.running) < settings.ENGINE_STEP_THREADS)


def _run_one(state: _Process, task) -> None:
    from studio.runs.worker import run_started_step

    try:
        _check_connection_now_and_then()
        run_started_step(task)
    except Exception:
        logger.exception("task %s: step failed", task.pk)
        _step_thread.checked_at = -CONNECTION_CHECK_SECONDS  # a broken connection is replaced before the next step
    finally:
        with state.lock:
            state.running.discard(task.pk)
            state.room.notify_all()
        state.step_ended.set()


_step_thread = threading.local()


def _check_connection_now_and_then() -> None:
    """A step thread's database connection is checked (and replaced when broken or old) every few seconds and
    after a failed step, not before every step: with health checks on, each check is a round trip of its own."""
    now = time.monotonic()
    if now - getattr(_step_thread, "checked_at", -CONNECTION_CHECK_SECONDS) >= CONNECTION_CHECK_SECONDS:
        close_old_connections()
        _step_thread.checked_at = now


# The claimer -------------------------------------------------------------------------------------------


def start_claimer() -> None:
    """Starts this worker process's claimer thread, and a clean stop on SIGTERM and when django-q2 recycles it."""
    state = _process()
    if state.claimer is not None:
        return
    state.claimer = threading.Thread(target=_claim_loop, args=(state,), name="claimer", daemon=True)
    state.claimer.start()
    multiprocessing.util.Finalize(None, stop, exitpriority=10)  # the worker process ends its loop normally
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)


def _claim_loop(state: _Process) -> None:
    owner = process_owner()
    beat_every = settings.TASK_CLAIM_SECONDS / 4
    next_beat = 0.0
    pause = TICK_SECONDS
    while not state.stopping.is_set():
        if os.getppid() != state.parent:
            # The cluster is gone (its sentinel killed, or it forked this worker just as SIGTERM reached the
            # group, so this one never had it): an orphan would claim tasks that no one runs, for ever.
            logger.warning("engine: the cluster this worker belonged to is gone; stopping")
            _stop_and_exit_in_a_thread()
            state.stopping.wait(5)  # set by stop(), with the time to give back by
            continue
        try:
            if time.monotonic() >= next_beat:
                with state.lock:
                    running = set(state.running)
                renew_claims(owner, running)
                next_beat = time.monotonic() + beat_every
            free = settings.ENGINE_CLAIMS_PER_PROCESS - claims_in_hand(owner)
            if free < settings.ENGINE_CLAIMS_PER_PROCESS // 2:  # claimed in halves: a claim per ended step costs
                # the broker and the database as much as a whole batch
                state.step_ended.clear()
                state.step_ended.wait(FULL_WAIT_SECONDS)
                state.stopping.wait(COUNT_PAUSE_SECONDS)  # a few more steps end meanwhile: one count for them all
                continue
            claimed = claim_and_enqueue(owner, free)
        except Exception:
            logger.exception("claimer: a tick failed; trying again")
            connection.close()
            claimed = 0
        if claimed < free:  # all that was due is claimed: wait a little, longer each time nothing was due
            pause = TICK_SECONDS if claimed else min(pause * 1.5, IDLE_TICK_SECONDS)
            state.stopping.wait(pause)
    _give_back_when_steps_end(state)  # on the claimer's own connection: a stop never waits for a new one


def claim_and_enqueue(owner: str, free: int) -> int:
    """One tick of a claimer: up to `free` due tasks, enqueued as one batch (each batch costs the broker
    and django-q2's pusher and monitor about the same, however many steps it holds)."""
    claims = claim_due_tasks(free, owner)
    if claims:
        async_task(
            "studio.runs.engine.run_steps", claims,
            task_name=f"steps-{claims[0][0]}", save=False, broker=process_broker(),
        )  # fmt: skip
    return len(claims)


def stop(grace: float = STOP_GRACE_SECONDS) -> None:
    """Stops claiming, lets the running steps finish (for `grace` seconds at most), gives back the rest.
    The claimer does the giving back; this only does it itself when the claimer is gone."""
    state = _process()
    state.stop_by = time.monotonic() + grace
    state.stopping.set()
    if state.claimer is not None and state.claimer.is_alive():
        state.claimer.join(grace + 10)
    else:
        _give_back_when_steps_end(state)


def _give_back_when_steps_end(state: _Process) -> None:
    owner, next_beat = process_owner(), 0.0
    try:
        while True:
            while state.running and time.monotonic() < state.stop_by:
                if time.monotonic() >= next_beat:  # a step that outlives its claim would be taken over
                    with state.lock:
                        renew_claims(owner, set(state.running))
                    next_beat = time.monotonic() + settings.TASK_CLAIM_SECONDS / 4
                time.sleep(0.05)
            with state.lock:
                if state.running and time.monotonic() < state.stop_by:
                    continue  # a batch started just before the stop: let it end too
                released = release_claims(owner, keep=set(state.running))
                logger.info("engine: stopped; %d claims given back", released)
                return
    finally:
        connection.close()


def _on_sigterm(signum, frame) -> None:
    """django-q2 leaves its workers to die where they stand on SIGTERM; this one finishes its steps first,
    and exits whatever happens while stopping (claims it could not give back run out instead)."""
    if not _process().stopping.is_set():
        _stop_and_exit_in_a_thread()


def _stop_and_exit_in_a_thread() -> None:
    def stop_and_exit():
        try:
            stop()
        except Exception:
            logger.exception("engine: stopping failed; this process's claims will run out instead")
        finally:
            os._exit(0)

    threading.Thread(target=stop_and_exit, name="stopping").start()


def make_cluster_stop_cleanly() -> None:
    """The qcluster main process's SIGTERM handler, made safe (in the main process only).

    django-q2's own handler sets the sentinel's stop event from signal context (django-q2 issue #346), and
    when the whole process group was signalled, the sentinel (SIGTERM left at its default) is already dead
    inside that event's wait, so setting it waits forever for it: the cluster never exits. Here the stop
    happens in a thread, and only while the sentinel lives (the main process alone was signalled, as
    `docker stop` does): then the sentinel stops the workers itself, each finishing its task first.
    """
    from django_q.cluster import Cluster

    def stop_in_a_thread(cluster, signum, frame):
        def stop():
            cluster.sentinel.join(timeout=1)
            if cluster.sentinel.is_alive():
                cluster.stop()

        threading.Thread(target=stop, name="cluster-stop", daemon=True).start()

    Cluster.sig_handler = stop_in_a_thread
