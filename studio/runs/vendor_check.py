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

from django.db.models import Count, IntegerField, Max, Min, Q, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.utils import timezone

from studio.runs.models import Task, TaskState, task_vendor_cost
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
    """One AccountCheck per vendor account that was used (or has tasks at the vendor) in the last `days`.

    Day rows and the hdredraw trail are sums in the database; only problem tasks are loaded, so the
    check costs the same with ten tasks a day or a hundred thousand.
    """
    now = now or timezone.now()
    since = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days - 1)
    checks = []
    for account in VendorAccount.objects.order_by("kind", "name"):
        tasks = Task.objects.filter(account=account, sent_at__gte=since)
        check = AccountCheck(account, _days(tasks, since, days))
        check.uncertain = list(tasks.filter(state=TaskState.UNCERTAIN).order_by("sent_at").only(*PROBLEM_FIELDS))
        check.charged_without_outputs = _charged_without_outputs(tasks)
        check.unexplained_package_runs = _unexplained_package_runs(tasks)
        if ask_vendors:
            _compare_with_vendor_list(check, since)
        if any(row.sent for row in check.days) or check.orphans or check.vendor_error:
            checks.append(check)
    return checks


PROBLEM_FIELDS = ("id", "run_id", "index", "state", "sent_at", "vendor_task_id", "result", "submitted_details")


def _vendor_cost():
    """What the vendor said it charged: with its result (suchuang, hdredraw) or at submit (imagewash)."""
    return Coalesce(task_vendor_cost(), Cast(KT("submitted_details__cost"), IntegerField()))


def _days(tasks, since: datetime, days: int) -> list[DayRow]:
    rows = {since.date() + timedelta(days=n): None for n in range(days)}
    rows = {day: DayRow(day) for day in rows}
    sums = (
        tasks.order_by()  # Task's default ordering (by run) would join the runs
        .annotate(day=TruncDate("sent_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(
            sent=Count("id"),
            accepted=Count("id", filter=~Q(vendor_task_id="")),
            adopted=Count("id", filter=Q(submitted_details__adopted=True)),
            uncertain=Count("id", filter=Q(state=TaskState.UNCERTAIN)),
            studio_cost=Sum(_vendor_cost()),
        )
    )
    for sum_row in sums:
        row = rows.get(sum_row["day"])
        if row is not None:
            row.sent, row.accepted, row.adopted = sum_row["sent"], sum_row["accepted"], sum_row["adopted"]
            row.uncertain, row.studio_cost = sum_row["uncertain"], sum_row["studio_cost"] or 0
    return sorted(rows.values(), key=lambda row: row.day, reverse=True)


def _charged_without_outputs(tasks) -> list[Task]:
    """The vendor charged for a task it reported done, and Studio has no file of it (expired links, bad files).

    A task the vendor itself reported failed is left out: suchuang says so (its cost becomes 0), and imagewash
    gives failed children's coins back (cost.refundedCoins), which its result answer does not repeat.
    """
    return list(
        tasks.filter(state=TaskState.FAILED, outputs__isnull=True)
        .exclude(result__status="failed")
        .annotate(cost=_vendor_cost())
        .filter(cost__gt=0)
        .order_by("sent_at")
        .only(*PROBLEM_FIELDS)
    )


def _unexplained_package_runs(tasks) -> int:
    """hdredraw: how much more remaining_count fell than the tasks the vendor accepted in that time.

    The span runs from the highest count seen before a submit to the lowest seen after one; the tasks
    charged in it are the accepted ones sent with a known count before them (an install's very first
    task has none). With tasks in flight together this is a bound, not an exact account.
    """
    before = Cast(KT("submitted_details__balance_before__remaining_count"), IntegerField())
    after = Cast(KT("submitted_details__balance_after__remaining_count"), IntegerField())
    known_before = Q(submitted_details__balance_before__remaining_count__isnull=False)
    trail = tasks.aggregate(
        top=Max(before), bottom=Min(after), charged=Count("id", filter=known_before & ~Q(vendor_task_id=""))
    )
    if trail["top"] is None or trail["bottom"] is None:
        return 0
    return max(0, trail["top"] - trail["bottom"] - trail["charged"])


def _compare_with_vendor_list(check: AccountCheck, since: datetime) -> None:
    try:
        listed: list[VendorTaskRecord] = check.account.adapter().list_tasks(since=since)
    except NotSupported:
        return
    except VendorError as error:
        check.vendor_error = error.message
        return
    check.vendor_lists_tasks = True
    known = _known_ids(check.account, [record.vendor_task_id for record in listed])
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


def _known_ids(account: VendorAccount, vendor_ids: list[str], chunk: int = 500) -> set[str]:
    """Which of these vendor task ids are Studio's (in chunks: SQLite limits a query's parameters)."""
    known: set[str] = set()
    for start in range(0, len(vendor_ids), chunk):
        ids = vendor_ids[start : start + chunk]
        known |= set(
            Task.objects.filter(account=account, vendor_task_id__in=ids)
            .order_by()
            .values_list("vendor_task_id", flat=True)
        )
    return known
