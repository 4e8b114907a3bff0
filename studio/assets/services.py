from django.core.files.storage import default_storage
from django.db import transaction

from studio.assets.models import Asset, AssetRole
from studio.projects.models import Project


def asset_set_role(*, project: Project, asset_ids: list[int], role: str) -> int:
    if role not in AssetRole.values:
        raise ValueError(f"unknown asset role {role!r}")
    return Asset.objects.filter(project=project, pk__in=asset_ids).update(role=role)


def asset_delete(*, project: Project, asset_ids: list[int]) -> int:
    """Deletes the rows now and their files once the deletion is committed (never the other way round)."""
    assets = list(Asset.objects.filter(project=project, pk__in=asset_ids).only("file", "thumbnail"))
    names = [name for asset in assets for name in (asset.file.name, asset.thumbnail.name)]
    with transaction.atomic():
        Asset.objects.filter(pk__in=[asset.pk for asset in assets]).delete()
        transaction.on_commit(lambda: [default_storage.delete(name) for name in names])
    return len(assets)
