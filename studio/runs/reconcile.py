"""A finished run's charge must match what it made: held − refunded = points per output × images stored.

Runs are checked in batches by id (a keyset), four queries a batch, so memory stays bounded however long
the history is: only one batch's tasks and sums are held at a time.
"""

from collections import defaultdict

from django.db.models import Count, Q, Sum

from studio.points.models import EntryKind, LedgerEntry
from studio.runs.models import TERMINAL_RUN_STATES, Output, OutputKind, Run, Task

BATCH = 500


def run_charge_differences(batch: int = BATCH) -> list[str]:
    differences = []
    last_id = 0
    while True:
        run_ids = list(
            Run.objects.filter(pk__gt=last_id, state__in=TERMINAL_RUN_STATES)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not run_ids:
            return differences
        owed, charged = _owed(run_ids), _charged(run_ids)
        for run_id in run_ids:
            if charged.get(run_id, 0) != owed.get(run_id, 0):
                differences.append(
                    f"run {run_id}: charged {charged.get(run_id, 0)} points net, "
                    f"but its stored outputs are worth {owed.get(run_id, 0)}"
                )
        last_id = run_ids[-1]


def _owed(run_ids: list[int]) -> dict[int, int]:
    """What each run's stored images are worth: per task, its price × images stored, up to what it promised."""
    stored = dict(
        Output.objects.filter(run_id__in=run_ids, kind=OutputKind.IMAGE)
        .values_list("task_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    owed: dict[int, int] = defaultdict(int)
    tasks = (
        Task.objects.filter(run_id__in=run_ids)
        .order_by()  # not Task's default (by run), which joins the runs to sort
        .values_list("pk", "run_id", "points_per_output", "outputs_expected")
    )
    for task_id, run_id, price, expected in tasks.iterator(chunk_size=2000):
        owed[run_id] += price * min(stored.get(task_id, 0), expected)
    return owed


def _charged(run_ids: list[int]) -> dict[int, int]:
    """What each run cost its team: holds (negative amounts) less refunds."""
    sums = (
        LedgerEntry.objects.filter(run_id__in=run_ids)
        .values("run_id")
        .annotate(
            held=Sum("amount", filter=Q(kind=EntryKind.HOLD)), refunded=Sum("amount", filter=Q(kind=EntryKind.REFUND))
        )
        .order_by()
    )
    return {row["run_id"]: -(row["held"] or 0) - (row["refunded"] or 0) for row in sums}
