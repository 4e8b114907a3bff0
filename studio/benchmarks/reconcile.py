"""`manage.py benchmark reconcile`: how `reconcile_points` grows with the history, at 10×, 100×, 1,000× the tasks.

A throw-away SQLite database is filled step by step with finished runs of ten tasks, one stored image each,
a hold per run and a refund for every tenth task; after each step `manage.py reconcile_points` runs as its own
process, and its wall time and peak resident memory (from the kernel, os.wait4) are printed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable

from django.conf import settings

SIZES_DEFAULT = (10_000, 100_000, 1_000_000)
TASKS_PER_RUN = 10
POINTS_PER_OUTPUT = 4
CHUNK_RUNS = 2_000


def run_benchmark(*, sizes: tuple[int, ...], keep: bool, log: Callable[[str], None], write) -> bool:
    from studio.benchmarks.upload import manage, temporary_folder

    with temporary_folder(keep, log) as folder:
        env = {**os.environ, "STUDIO_VAR_DIR": str(folder), "DEBUG": "1", "LOG_LEVEL": "WARNING"}
        for name in ("DATABASE_URL", "REDIS_URL"):
            env.pop(name, None)
        log("Migrating a throw-away database …")
        manage(env, "migrate", "--noinput")
        baseline_seconds, baseline_kb, _ = _measured(env, "check")
        write(
            f"reconcile benchmark: finished runs of {TASKS_PER_RUN} tasks, one image each, SQLite; reconcile_points "
            f"as its own process (a bare `manage.py check`: {baseline_seconds:.1f} s, {baseline_kb / 1024:.0f} MB)\n"
        )
        write(f"{'tasks':>10} {'ledger rows':>12} {'fill s':>8} {'reconcile s':>12} {'peak MB':>8}  result\n")
        all_well = True
        for size in sorted(sizes):
            started = time.monotonic()
            manage(env, "benchmark", "reconcile", "--inside", "--grow-to", str(size))
            filled = time.monotonic() - started
            seconds, peak_kb, output = _measured(env, "reconcile_points")
            ledger_rows = size // TASKS_PER_RUN + size // 10 + 1
            result = output.strip().splitlines()[-1] if output.strip() else "no output"
            write(f"{size:>10,} {ledger_rows:>12,} {filled:>8.1f} {seconds:>12.2f} {peak_kb / 1024:>8.0f}  {result}\n")
            all_well &= result.startswith("ok")
        return all_well


def _measured(env: dict, *args: str) -> tuple[float, int, str]:
    """Wall seconds, peak resident kB and output of one `manage.py` process."""
    started = time.monotonic()
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    output = process.stdout.read()
    _pid, _status, usage = os.wait4(process.pid, 0)
    process.returncode = 0
    return time.monotonic() - started, usage.ru_maxrss, output


def grow_to(tasks: int) -> None:
    """Adds finished runs until the database holds `tasks` tasks (inside the throw-away database)."""
    from django.db import transaction
    from django.utils import timezone

    from studio.points.models import EntryKind, LedgerEntry, Wallet
    from studio.runs.models import Output, OutputKind, Run, RunState, Task, TaskState

    project, offering = _world()
    wallet = Wallet.objects.get(team=project.team)
    now = timezone.now()
    while (have := Task.objects.count()) < tasks:
        runs_now = min(CHUNK_RUNS, (tasks - have) // TASKS_PER_RUN or 1)
        with transaction.atomic():
            first = (Run.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
            runs = Run.objects.bulk_create(
                Run(project=project, offering=offering, operation=offering.operation, state=RunState.SUCCEEDED,
                    outputs_expected=TASKS_PER_RUN, points_charged=TASKS_PER_RUN * POINTS_PER_OUTPUT, finished_at=now)
                for _ in range(runs_now)
            )  # fmt: skip
            tasks_made = Task.objects.bulk_create(
                (
                    Task(run=run, account=offering.account, index=index, idempotency_key=f"b{first + n}-{index}",
                         request={}, state=TaskState.SUCCEEDED, outputs_expected=1, points_per_output=POINTS_PER_OUTPUT,
                         next_action_at=now, finished_at=now)
                    for n, run in enumerate(runs)
                    for index in range(TASKS_PER_RUN)
                ),
                batch_size=5_000,
            )  # fmt: skip
            refunded = {task.pk for task in tasks_made if task.pk % 10 == 0}  # every tenth image never came
            Output.objects.bulk_create(
                (
                    Output(run_id=task.run_id, project=project, task=task, index=0, kind=OutputKind.IMAGE,
                           file=f"o/{task.pk}.png", content_type="image/png", byte_size=1, sha256="0" * 64)
                    for task in tasks_made
                    if task.pk not in refunded
                ),
                batch_size=5_000,
            )  # fmt: skip
            changes = [(EntryKind.HOLD, -TASKS_PER_RUN * POINTS_PER_OUTPUT, f"hold-{run.pk}", run.pk) for run in runs]
            changes += [
                (EntryKind.REFUND, POINTS_PER_OUTPUT, f"refund-{task.pk}", task.run_id)
                for task in tasks_made
                if task.pk in refunded
            ]
            entries, balance = [], wallet.balance
            for kind, amount, key, run_id in changes:  # balance_after is the running sum, as the ledger keeps it
                balance += amount
                entries.append(
                    LedgerEntry(wallet=wallet, kind=kind, amount=amount, balance_after=balance, key=key, run_id=run_id)
                )
            LedgerEntry.objects.bulk_create(entries, batch_size=5_000)
            Wallet.objects.filter(pk=wallet.pk).update(balance=balance)
            wallet.balance = balance


def _world():
    """One team with a large grant, one project, one offering: made once, found again on later steps."""
    from studio.accounts.models import Team
    from studio.points.services import points_grant
    from studio.projects.models import Project
    from studio.vendors.models import Offering, VendorAccount
    from studio.vendors.services import offerings_load

    team, made = Team.objects.get_or_create(name="Reconcile benchmark")
    if made:
        points_grant(team=team, amount=2_000_000_000, reason="benchmark", user=None, key="benchmark-grant")
        account = VendorAccount.objects.create(kind="imagetasks", name="bench", base_url="https://vendor.invalid")
        offerings_load(account=account)
        Project.objects.create(team=team, name="History")
    project = Project.objects.get(team=team)
    return project, Offering.objects.filter(account__name="bench").first()
