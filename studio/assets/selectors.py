from django.db.models import Count, QuerySet

from studio.assets.models import Asset, AssetRole
from studio.projects.models import Project


def asset_list(*, project: Project, role: str = "") -> QuerySet[Asset]:
    assets = Asset.objects.filter(project=project)
    if role in AssetRole.values:
        assets = assets.filter(role=role)
    return assets


def asset_role_counts(*, project: Project) -> dict[str, int]:
    rows = Asset.objects.filter(project=project).values("role").annotate(n=Count("id")).order_by()
    return {row["role"]: row["n"] for row in rows}
