"""A finished run's charge must match what it made: held − refunded = points per output × images stored."""

from django.db.models import Count, Q, Sum

from studio.points.models import EntryKind, LedgerEntry
from studio.runs.models import TERMINAL_RUN_STATES, OutputKind, Run


def run_charge_differences() -> list[str]:
    ledger = {
        row["run_id"]: row
        for row in LedgerEntry.objects.filter(run_id__isnull=False)
        .values("run_id")
        .annotate(
            held=Sum("amount", filter=Q(kind=EntryKind.HOLD)), refunded=Sum("amount", filter=Q(kind=EntryKind.REFUND))
        )
    }
    differences = []
    for run in Run.objects.filter(state__in=TERMINAL_RUN_STATES).prefetch_related("tasks"):
        stored = dict(
            run.outputs.filter(kind=OutputKind.IMAGE).values_list("task_id").annotate(n=Count("id")).order_by()
        )
        owed = sum(
            task.points_per_output * min(stored.get(task.pk, 0), task.outputs_expected) for task in run.tasks.all()
        )
        row = ledger.get(run.pk, {})
        net = -(row.get("held") or 0) - (row.get("refunded") or 0)
        if net != owed:
            differences.append(f"run {run.pk}: charged {net} points net, but its stored outputs are worth {owed}")
    return differences
