"""`manage.py benchmark engine`: the run engine's cost curve at 100, 1,000 and 10,000 tasks in flight.

What it measures, on a throw-away database (SQLite, or PostgreSQL with --database-url) and broker (the ORM,
or an empty Redis database with --redis-url), with real `manage.py qcluster` processes:

- For each number of tasks in flight: that many hdredraw tasks made at the vendor simulator (each lasts an
  hour, so it stays "Processing") and as many Task rows at the vendor, all due. No submit ramp: what grows
  with the work in flight is the polling, and that is what is timed.
- Each with one worker process (one qcluster, Q_WORKERS=1) and two (two qclusters of one worker each, as two
  machines would run them), and at two poll intervals: flat out (0.05 s: claims per second is what the
  engine can do) and hdredraw's own 3 s (polls per task per minute, against 20).
- Counted over a window after a warm-up: polls the simulator answered (one claim is one step is one poll),
  CPU of every cluster process, and the machine's load (all cores, the simulator and the database included).
- Queries per claim and per poll step, counted in this process; and the claim query's time once the
  table holds `--history` finished tasks (1,000,000 by default).

The simulator runs in this process, on the same two cores: at high rates it is part of what is measured.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path

from django.conf import settings

SIZES_DEFAULT = (100, 1_000, 10_000)
HISTORY_DEFAULT = 1_000_000
VENDOR = "hdredraw"
FLAT_OUT_INTERVAL = 0.05
VENDOR_INTERVAL = 3.0
WARM_UP_SECONDS = 4.0
WINDOW_SECONDS = 12.0
POLL_ENDPOINT = "check_task_status"


def run_benchmark(
    *, sizes, history: int, database_url: str, redis_url: str, keep: bool, log: Callable[[str], None]
) -> bool:
    """The outer process: a throw-away database and broker, migrated; the measuring side runs on them."""
    from studio.benchmarks.pipeline import _empty_redis_db, _throwaway_postgres
    from studio.benchmarks.upload import deployed_settings, manage, temporary_folder

    with ExitStack() as stack:
        folder = stack.enter_context(temporary_folder(keep, log))
        database = stack.enter_context(_throwaway_postgres(database_url, log))
        broker = stack.enter_context(_empty_redis_db(redis_url, log))
        env = {**os.environ, **deployed_settings(), "STUDIO_VAR_DIR": str(folder), "LOG_LEVEL": "WARNING",
               "DATABASE_URL": database, "REDIS_URL": broker, "STUDIO_PROCESS": "worker",
               "BENCHMARK_SIZES": ",".join(str(size) for size in sizes), "BENCHMARK_HISTORY": str(history),
               "BENCHMARK_FOLDER": str(folder)}  # fmt: skip
        env = {name: value for name, value in env.items() if value or name not in ("DATABASE_URL", "REDIS_URL")}
        log("Migrating the throw-away database …")
        manage(env, "migrate", "--noinput")
        command = "from studio.benchmarks.engine import engine_side; engine_side()"
        side = subprocess.run(  # noqa: S603  (its table goes straight to our stdout)
            [sys.executable, "manage.py", "shell", "--verbosity", "0", "--command", command],
            cwd=settings.BASE_DIR, env=env, check=False,
        )  # fmt: skip
        return side.returncode == 0


# The measuring side: runs in `manage.py shell` on the throw-away settings ------------------------------


def engine_side() -> None:
    from django.db import connection

    from studio.benchmarks.pipeline import machine_busy_seconds, tree_cpu_seconds

    sizes = [int(size) for size in os.environ["BENCHMARK_SIZES"].split(",")]
    folder = os.environ["BENCHMARK_FOLDER"]
    broker = "Redis" if settings.REDIS_URL else "ORM"
    cores = os.cpu_count() or 1
    print(
        f"engine benchmark: {connection.vendor} + django-q2 {broker} broker, {cores} cores, "
        f"{settings.ENGINE_STEP_THREADS} step threads per worker process, claims of {settings.TASK_CLAIM_SECONDS} s; "
        f"{WARM_UP_SECONDS:.0f} s warm-up, {WINDOW_SECONDS:.0f} s counted",
        flush=True,
    )
    header = (
        f"{'in flight':>9} {'workers':>7} {'interval s':>10} {'claims/s':>9} {'polls/task/min':>14} "
        f"{'target':>6} {'CPU ms/claim':>12} {'machine load':>12}"
    )
    print(header, flush=True)
    with _simulator() as simulator:
        account, run = _world(simulator)
        for size in sizes:
            _tasks_in_flight(simulator, account, run, size)
            for workers in (1, 2):
                for interval in (FLAT_OUT_INTERVAL, VENDOR_INTERVAL):
                    _set_interval(account, interval)
                    with _clusters(workers, folder) as pids:
                        time.sleep(WARM_UP_SECONDS)
                        polls_before = _polls(simulator)
                        cpu_before = sum(tree_cpu_seconds(pid) for pid in pids)
                        busy_before, started = machine_busy_seconds(), time.monotonic()
                        time.sleep(WINDOW_SECONDS)
                        polls = _polls(simulator) - polls_before
                        seconds = time.monotonic() - started
                        cpu = sum(tree_cpu_seconds(pid) for pid in pids) - cpu_before
                        load = (machine_busy_seconds() - busy_before) / seconds / cores
                    per_task_minute = polls / size / (seconds / 60)
                    target = "" if interval == FLAT_OUT_INTERVAL else f"{60 / interval:>6.0f}"
                    print(
                        f"{size:>9,} {workers:>7} {interval:>10.2f} {polls / seconds:>9.0f} {per_task_minute:>14.1f} "
                        f"{target:>6} {1000 * cpu / max(polls, 1):>12.2f} {load:>11.0%}",
                        flush=True,
                    )
        _queries_per_claim(account, run)
    _claim_with_history(account, int(os.environ["BENCHMARK_HISTORY"]))


@contextmanager
def _simulator():
    from studio.simulator.app import build_simulator
    from studio.simulator.core import make_server

    simulator = build_simulator(latency=3600)  # every task stays "Processing" for the whole benchmark
    server = make_server(simulator, port=0)
    simulator.public_url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    settings.VENDOR_ALLOWED_PRIVATE_HOSTS = [simulator.public_url.removeprefix("http://")]
    try:
        yield simulator
    finally:
        server.shutdown()


def _world(simulator):
    from studio.accounts.models import Team
    from studio.projects.models import Project
    from studio.runs.models import Run, RunState
    from studio.simulator.app import demo_credentials
    from studio.vendors.models import Offering, VendorAccount
    from studio.vendors.services import offerings_load

    account = VendorAccount(kind=VENDOR, name="engine benchmark", base_url=simulator.public_url)
    account.set_credentials(demo_credentials(VENDOR))
    account.save()
    offerings_load(account=account)
    offering = Offering.objects.get(account=account, operation="upscale")
    project = Project.objects.create(team=Team.objects.create(name="Engine benchmark"), name="In flight")
    run = Run.objects.create(project=project, offering=offering, operation="upscale", state=RunState.RUNNING)
    return account, run


def _tasks_in_flight(simulator, account, run, size: int) -> None:
    """`size` tasks at the vendor, all due now; the previous size's go."""
    from django.utils import timezone

    from studio.runs.models import Task, TaskState
    from studio.vendors.models import VendorAccount

    Task.objects.filter(run=run).delete()
    now = timezone.now()
    vendor_ids = [simulator.add_task(VENDOR, list).id for _ in range(size)]
    Task.objects.bulk_create(
        (Task(run=run, account=account, index=index, idempotency_key=f"studio-{uuid.uuid4().hex}",
              request={"model": "", "params": {}, "inputs": []}, state=TaskState.RUNNING, holds_slot=True,
              outputs_expected=1, points_per_output=0, vendor_task_id=vendor_id, next_action_at=now, sent_at=now,
              submitted_at=now, deadline_at=now + timedelta(hours=2))
         for index, vendor_id in enumerate(vendor_ids)),
        batch_size=2_000,
    )  # fmt: skip
    VendorAccount.objects.filter(pk=account.pk).update(slots_in_use=size, max_concurrent_tasks=min(size, 32_000))


def _set_interval(account, interval: float) -> None:
    from studio.runs.engine import UNCLAIMED
    from studio.runs.models import Task

    type(account).objects.filter(pk=account.pk).update(poll_interval_seconds=interval)
    Task.objects.filter(account=account).update(**UNCLAIMED)


@contextmanager
def _clusters(count: int, folder: str) -> Iterator[list[int]]:
    from studio.benchmarks.pipeline import _qcluster

    env = {**os.environ, "Q_WORKERS": "1"}
    with ExitStack() as stack:
        logs = [Path(folder) / f"qcluster-{n}.log" for n in range(count)]
        clusters = [stack.enter_context(_qcluster(env, log, lambda line: None)) for log in logs]
        yield [cluster.pid for cluster in clusters]


def _polls(simulator) -> int:
    return sum(count for key, count in simulator.calls.items() if key.startswith(VENDOR) and POLL_ENDPOINT in key)


def _queries_per_claim(account, run) -> None:
    """Queries of one claimer tick (a batch of a worker's step threads) and of one poll step, counted here."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from studio.runs.engine import UNCLAIMED, claim_due_tasks
    from studio.runs.models import Task
    from studio.runs.worker import task_step

    Task.objects.filter(run=run).update(next_action_at=timezone.now(), **UNCLAIMED)
    lines = []
    for batch in (1, settings.ENGINE_STEP_THREADS):
        with CaptureQueriesContext(connection) as claiming:
            claims = claim_due_tasks(limit=batch, owner=f"probe-{batch}")
        lines.append(f"a claim of {len(claims)}: {len(claiming)} queries ({len(claiming) / len(claims):.1f} per claim)")
    with CaptureQueriesContext(connection) as stepping:
        task_step(*claims[0])
    lines.append(f"one poll step: {len(stepping)} queries")
    print("queries: " + "; ".join(lines), flush=True)


def _claim_with_history(account, history: int) -> None:
    """The claim's time with `history` finished tasks in the table and a few open ones."""
    from django.db import connection
    from django.utils import timezone

    from studio.runs.engine import UNCLAIMED, claim_due_tasks, release_claims
    from studio.runs.models import Run, Task, TaskState

    run = Run.objects.filter(offering__account=account).first()
    now = timezone.now()
    have = Task.objects.count()
    started = time.monotonic()
    for first in range(0, history, 10_000):
        Task.objects.bulk_create(
            (Task(run=run, account=account, index=1_000_000 + first + n, idempotency_key=f"history-{first + n}",
                  request={}, state=TaskState.SUCCEEDED, outputs_expected=1, points_per_output=0,
                  next_action_at=now - timedelta(days=1), finished_at=now)
             for n in range(min(10_000, history - first))),
            batch_size=5_000,
        )  # fmt: skip
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE runs_task")
    filled = time.monotonic() - started
    Task.objects.filter(state=TaskState.RUNNING).update(next_action_at=now, **UNCLAIMED)
    timings = []
    for _ in range(30):
        started = time.perf_counter()
        claim_due_tasks(limit=settings.ENGINE_STEP_THREADS, owner="history-probe")
        timings.append((time.perf_counter() - started) * 1000)
        release_claims("history-probe")
    print(
        f"claim with {Task.objects.count() - have:,} finished tasks in the table (filled in {filled:.0f} s): "
        f"median {statistics.median(timings):.2f} ms, max {max(timings):.2f} ms per claim of "
        f"{settings.ENGINE_STEP_THREADS}",
        flush=True,
    )
