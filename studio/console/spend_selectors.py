"""The spend report: where the points (and the vendors' money) went, by team, member, operation, vendor or month.

Three grouped queries whatever the number of runs: the runs' points, their outputs' review states, their
tasks' vendor-reported costs. They are kept apart because joining outputs or tasks to runs would count a
run's points once per output.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from studio.runs.models import Output, OutputKind, ReviewState, Run, Task, task_vendor_cost
from studio.vendors.catalogue import adapter_class
from studio.vendors.operations import Operation

GROUPS = {
    "team": gettext_lazy("Team"),
    "member": gettext_lazy("Member"),
    "operation": gettext_lazy("Operation"),
    "vendor": gettext_lazy("Vendor"),
    "month": gettext_lazy("Month"),
}
DEFAULT_GROUP = "team"
LABEL_FIELDS = {"team": "project__team__name", "member": "created_by__username"}


@dataclass(frozen=True)
class SpendFilters:
    team_id: int | None = None
    member_id: int | None = None
    operation: str = ""
    vendor: str = ""
    month_from: date | None = None  # the first day of a month, taken in the current time zone
    month_to: date | None = None  # the last month included
    group: str = DEFAULT_GROUP
    # The teams whose spend this admin may see (those they administer); nothing outside them counts.
    visible_team_ids: tuple[int, ...] = ()

    @property
    def narrowed(self) -> bool:
        """Whether any filter leaves runs out (grouping alone does not)."""
        return any((self.team_id, self.member_id, self.operation, self.vendor, self.month_from, self.month_to))


@dataclass
class SpendRow:
    key: object
    label: str
    runs: int = 0
    charged: int = 0
    refunded: int = 0
    delivered: int = 0  # stored output images (not the vector, grid or alternative extras)
    approved: int = 0
    costs: dict[str, int] = field(default_factory=dict)  # vendor kind → what it reported, in its own unit

    @property
    def net(self) -> int:
        return self.charged - self.refunded

    @property
    def points_per_approved(self) -> float | None:
        return self.net / self.approved if self.approved else None

    @property
    def cost_parts(self) -> list[str]:
        return spend_cost_parts(self.costs)

    def add(self, other: "SpendRow") -> None:
        self.runs += other.runs
        self.charged += other.charged
        self.refunded += other.refunded
        self.delivered += other.delivered
        self.approved += other.approved
        for kind, amount in other.costs.items():
            self.costs[kind] = self.costs.get(kind, 0) + amount


@dataclass
class SpendReport:
    filters: SpendFilters
    rows: list[SpendRow]
    total: SpendRow
    cost_kinds: list[str]  # the vendors with a reported cost, in the order of their columns


def spend_report(*, filters: SpendFilters) -> SpendReport:
    group = filters.group
    label_field = LABEL_FIELDS.get(group)  # the other groups' labels are made from their keys
    rows: dict[object, SpendRow] = {}
    runs = Run.objects.filter(_runs_q(filters, "")).annotate(key=_group_key(group, ""))
    for found in (
        runs.values("key", *([label_field] if label_field else []))
        .annotate(runs=Count("id"), charged=Sum("points_charged"), refunded=Sum("points_refunded"))
        .order_by()
    ):
        rows[found["key"]] = SpendRow(
            key=found["key"], label=_label(group, found["key"], found.get(label_field)), runs=found["runs"],
            charged=found["charged"] or 0, refunded=found["refunded"] or 0,
        )  # fmt: skip

    outputs = Output.objects.filter(_runs_q(filters, "run__"), kind=OutputKind.IMAGE)
    for found in (
        outputs.annotate(key=_group_key(group, "run__"))
        .values("key")
        .annotate(delivered=Count("id"), approved=Count("id", filter=Q(review_state=ReviewState.APPROVED)))
        .order_by()
    ):
        if row := rows.get(found["key"]):  # else its run came after the first query: left for the next look
            row.delivered, row.approved = found["delivered"], found["approved"]

    tasks = Task.objects.filter(_runs_q(filters, "run__"))
    for found in (
        tasks.annotate(key=_group_key(group, "run__"))
        .values("key", "account__kind")
        .annotate(cost=Sum(task_vendor_cost()))
        .order_by()
    ):
        if (row := rows.get(found["key"])) and found["cost"] is not None:  # None: no task reported a cost
            row.costs[found["account__kind"]] = found["cost"]

    ordered = sorted(rows.values(), key=_sort_key(group))
    total = SpendRow(key=None, label=_("Total"))
    for row in ordered:
        total.add(row)
    return SpendReport(filters=filters, rows=ordered, total=total, cost_kinds=sorted(total.costs))


def spend_cost_parts(costs: dict[str, int]) -> list[str]:
    """["1,200 imagewash coins", "300 suchuang points"]: never one sum across vendors with different units."""
    return [
        _("%(amount)s %(vendor)s %(unit)s")
        % {"amount": number_format(amount, force_grouping=True), "vendor": kind, "unit": spend_cost_unit(kind)}
        for kind, amount in sorted(costs.items())
    ]


def spend_cost_unit(kind: str) -> str:
    """The unit a vendor reports its charge in (Task.result["cost"]), as its adapter declares it."""
    return str(adapter_class(kind).cost_unit or gettext_lazy("units"))


def month_start(month: date) -> datetime:
    """The first moment of a month in the current time zone, as TruncMonth counts months."""
    return timezone.make_aware(datetime(month.year, month.month, 1))


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _runs_q(filters: SpendFilters, prefix: str) -> Q:
    """The filters as conditions on a run; `prefix` reaches the run from an output or a task ("run__")."""
    conditions = {"project__team_id__in": filters.visible_team_ids}
    if filters.team_id is not None:
        conditions["project__team_id"] = filters.team_id
    if filters.member_id is not None:
        conditions["created_by_id"] = filters.member_id
    if filters.operation:
        conditions["operation"] = filters.operation
    if filters.vendor:
        conditions["offering__account__kind"] = filters.vendor
    if filters.month_from:
        conditions["created_at__gte"] = month_start(filters.month_from)
    if filters.month_to:
        conditions["created_at__lt"] = month_start(_next_month(filters.month_to))
    return Q(**{prefix + name: value for name, value in conditions.items()})


def _group_key(group: str, prefix: str):
    if group == "month":
        return TruncMonth(prefix + "created_at")
    fields = {"team": "project__team_id", "member": "created_by_id", "operation": "operation",
              "vendor": "offering__account__kind"}  # fmt: skip
    return F(prefix + fields[group])


def _label(group: str, key, label: str | None) -> str:
    if group == "team":
        return label
    if group == "member":
        return label if key is not None else _("Deleted user")
    if group == "operation":
        return str(Operation(key).label) if key in Operation.values else key
    if group == "month":
        return timezone.localtime(key).strftime("%Y-%m") if isinstance(key, datetime) else str(key)
    return key


def _sort_key(group: str):
    if group == "month":
        return lambda row: row.label
    return lambda row: (-row.net, row.label.casefold())
