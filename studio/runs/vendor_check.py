"""The vendor-side spend check: what Studio ordered from each vendor account, day by day, against what
the vendor itself reports, so a vendor bill that grows without images is seen (`reconcile_vendors`).

What each vendor can tell (its adapter declares it):
- suchuang lists every task it made on our account (`list_tasks`): a listed task Studio does not know is an
  orphan, paid for and never collected;
- hdredraw reports `remaining_count` with every answer: Studio keeps it before and after each submit, so a
  fall larger than the tasks it accepted means package runs used without a task of ours;
- imagewash says what it charged (`cost.chargedCoins`) at submit, and suchuang its points per model;
- lingtu de-duplicates by requestId, so a lost answer is recovered, never left uncertain;
- imagetasks tells nothing: its uncertain tasks can only be listed.

Problems, each listed with its task: orphans at the vendor, tasks stuck uncertain (their charge unknown),
charges without outputs, and unexplained package runs. `problem_count` > 0 makes the command exit non-zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count
from django.utils import timezone

from studio.runs.models import Task, TaskState
from studio.vendors.base import NotSupported, VendorError, VendorTaskRecord
from studio.vendors.models import VendorAccount


@dataclass
class DayRow:
    day: date
    sent: int = 0  # tasks Studio sent that day
    accepted: int = 0  # of them, tasks the vendor confirmed (or that were found again at the vendor)
    adopted: int = 0  # of them, found again after a lost answer
    uncertain: int = 0  # sent, answer lost, not found again
    studio_cost: int = 0  # what the vendor said it charged for Studio's tasks, in its unit
    vendor_tasks: int | None = None  # what the vendor's own list shows, where it has one
    vendor_cost: int | None = None


@dataclass
class Orphan:
    vendor_task_id: str
    created_at: datetime
    cost: int | None


@dataclass
class AccountCheck:
    account: VendorAccount
    days: list[DayRow]
    uncertain: list[Task] = field(default_factory=list)
    charged_without_outputs: list[Task] = field(default_factory=list)
    orphans: list[Orphan] = field(default_factory=list)
    unexplained_package_runs: int = 0  # hdredraw: remaining_count fell by more than the tasks it accepted
    vendor_lists_tasks: bool = False
    vendor_error: str = ""  # the vendor could not be asked; the Studio side is still shown

    @property
    def problem_count(self) -> int:
        return (
            len(self.uncertain)
            + len(self.charged_without_outputs)
            + len(self.orphans)
            + self.unexplained_package_runs
            + bool(self.vendor_error)
        )

    @property
    def cost_unit(self) -> str:
        return str(self.account.adapter_type.cost_unit or "")


def vendor_check(*, days: int = 7, ask_vendors: bool = True, now: datetime | None = None) -> list[AccountCheck]:
    """One AccountCheck per vendor account that was used (or has tasks at the vendor) in the last `days`."""
    now = now or timezone.now()
    since = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days - 1)
    checks = []
    for account in VendorAccount.objects.order_by("kind", "name"):
        tasks = list(
            Task.objects.filter(account=account, sent_at__gte=since)
            .annotate(images=Count("outputs"))
            .only("id", "run_id", "index", "state", "sent_at", "vendor_task_id", "submitted_details", "result",
                  "error_message", "outputs_expected")
            .order_by("sent_at")
        )  # fmt: skip
        check = AccountCheck(account, _days(tasks, since, days))
        check.uncertain = [task for task in tasks if task.state == TaskState.UNCERTAIN]
        check.charged_without_outputs = [task for task in tasks if _charged_without_outputs(task)]
        check.unexplained_package_runs = _unexplained_package_runs(tasks)
        if ask_vendors:
            _compare_with_vendor_list(check, tasks, since)
        if tasks or check.orphans or check.vendor_error:
            checks.append(check)
    return checks


def _days(tasks: list[Task], since: datetime, days: int) -> list[DayRow]:
    rows = {since.date() + timedelta(days=n): None for n in range(days)}
    rows = {day: DayRow(day) for day in rows}
    for task in tasks:
        row = rows[timezone.localtime(task.sent_at).date()]
        row.sent += 1
        row.accepted += bool(task.vendor_task_id)
        row.adopted += bool(task.submitted_details.get("adopted"))
        row.uncertain += task.state == TaskState.UNCERTAIN
        row.studio_cost += _vendor_cost(task) or 0
    return sorted(rows.values(), key=lambda row: row.day, reverse=True)


def _vendor_cost(task: Task) -> int | None:
    cost = task.result.get("cost") if task.result.get("cost") is not None else task.submitted_details.get("cost")
    try:
        return int(cost) if cost is not None else None
    except (TypeError, ValueError):
        return None


def _charged_without_outputs(task: Task) -> bool:
    """The vendor charged for a task it reported done, and Studio has no file of it (expired links, bad files).

    A task the vendor itself reported failed is left out: suchuang says so (its cost becomes 0), and imagewash
    gives failed children's coins back (cost.refundedCoins), which its result answer does not repeat.
    """
    reported_failed = task.result.get("status") == "failed"
    return task.is_finished and task.images == 0 and not reported_failed and (_vendor_cost(task) or 0) > 0


def _unexplained_package_runs(tasks: list[Task]) -> int:
    """hdredraw: how much more remaining_count fell than the tasks the vendor accepted in that time.

    The span runs from the highest count seen before a submit to the lowest seen after one; the tasks
    charged in it are the accepted ones sent with a known count before them (an install's very first
    task has none). With tasks in flight together this is a bound, not an exact account.
    """
    before = [_count(task.submitted_details.get("balance_before")) for task in tasks]
    after = [_count(task.submitted_details.get("balance_after")) for task in tasks]
    seen_before = [value for value in before if value is not None]
    seen_after = [value for value in after if value is not None]
    if not seen_before or not seen_after:
        return 0
    used = max(seen_before) - min(seen_after)
    charged = sum(1 for task, count in zip(tasks, before, strict=True) if task.vendor_task_id and count is not None)
    return max(0, used - charged)


def _count(balance) -> int | None:
    return balance.get("remaining_count") if isinstance(balance, dict) else None


def _compare_with_vendor_list(check: AccountCheck, tasks: list[Task], since: datetime) -> None:
    try:
        listed: list[VendorTaskRecord] = check.account.adapter().list_tasks(since=since)
    except NotSupported:
        return
    except VendorError as error:
        check.vendor_error = error.message
        return
    check.vendor_lists_tasks = True
    known = {task.vendor_task_id for task in tasks if task.vendor_task_id}
    known |= set(  # tasks sent before the window can still be listed in it (clocks differ)
        Task.objects.filter(account=check.account, vendor_task_id__in=[r.vendor_task_id for r in listed]).values_list(
            "vendor_task_id", flat=True
        )
    )
    rows = {row.day: row for row in check.days}
    for row in rows.values():
        row.vendor_tasks = row.vendor_cost = 0
    for record in listed:
        row = rows.get(timezone.localtime(record.created_at).date())
        if row is not None:
            row.vendor_tasks += 1
            row.vendor_cost += record.cost or 0
        if record.vendor_task_id not in known:
            check.orphans.append(Orphan(record.vendor_task_id, record.created_at, record.cost))
