from django.db.models import Count, Prefetch, QuerySet

from studio.accounts.models import Team
from studio.assets.models import Asset
from studio.projects.models import Project

RECENT_ASSETS_SHOWN = 4


def project_list(*, team: Team, archived: bool) -> QuerySet[Project]:
    """The team's projects with their asset count and a few recent thumbnails, in three queries."""
    recent = Asset.objects.order_by("-created_at", "-id")[:RECENT_ASSETS_SHOWN]
    return (
        Project.objects.filter(team=team, archived_at__isnull=not archived)
        .annotate(asset_count=Count("assets"))
        .prefetch_related(Prefetch("assets", queryset=recent, to_attr="recent_assets"))
    )
