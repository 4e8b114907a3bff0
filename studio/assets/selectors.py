from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.http import QueryDict
from django.utils import timezone

from studio.assets.models import Asset, AssetRole
from studio.projects.models import Project
from studio.runs.models import RunInput

UPLOADED_WITHIN = {"today": 0, "week": 7, "month": 30}  # days before today's midnight


@dataclass(frozen=True)
class LibraryFilters:
    """What the project library shows: a role, words of the file name (a SKU), when it came and what used it."""

    role: str = ""
    search: str = ""
    uploaded: str = ""  # "", or a key of UPLOADED_WITHIN
    usage: str = ""  # "", "unused", "used", or "run-<id>": used in that run

    @classmethod
    def from_query(cls, query: QueryDict) -> "LibraryFilters":
        usage = query.get("usage", "")
        return cls(
            role=query.get("role", "") if query.get("role") in AssetRole.values else "",
            search=" ".join(query.get("q", "").split())[:100],
            uploaded=query.get("uploaded", "") if query.get("uploaded") in UPLOADED_WITHIN else "",
            usage=usage if usage in ("unused", "used") or _run_id(usage) else "",
        )

    def query(self, **changes) -> str:
        """These filters as a query string, with some changed (role="product", page=2)."""
        values = {"role": self.role, "q": self.search, "uploaded": self.uploaded, "usage": self.usage, **changes}
        query = QueryDict(mutable=True)
        query.update({name: str(value) for name, value in values.items() if value})
        return query.urlencode()

    @property
    def narrowed(self) -> bool:
        """Filtered by more than the role tab."""
        return bool(self.search or self.uploaded or self.usage)


def asset_list(*, project: Project, filters: LibraryFilters = LibraryFilters()) -> QuerySet[Asset]:
    assets = Asset.objects.filter(project=project)
    if filters.role:
        assets = assets.filter(role=filters.role)
    for word in filters.search.split():
        assets = assets.filter(original_name__icontains=word)
    if filters.uploaded:
        midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        assets = assets.filter(created_at__gte=midnight - timedelta(days=UPLOADED_WITHIN[filters.uploaded]))
    used = RunInput.objects.filter(asset=OuterRef("pk"))
    if filters.usage == "unused":
        assets = assets.exclude(Exists(used))
    elif filters.usage == "used":
        assets = assets.filter(Exists(used))
    elif run_id := _run_id(filters.usage):
        assets = assets.filter(Exists(used.filter(run_id=run_id)))
    return assets


def asset_role_counts(*, project: Project) -> dict[str, int]:
    rows = Asset.objects.filter(project=project).values("role").annotate(n=Count("id")).order_by()
    return {row["role"]: row["n"] for row in rows}


def _run_id(usage: str) -> int | None:
    number = usage.removeprefix("run-")
    return int(number) if usage.startswith("run-") and number.isdigit() and len(number) < 12 else None
