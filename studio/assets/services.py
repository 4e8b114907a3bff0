from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import ProtectedError

from studio.assets.models import Asset, AssetRole
from studio.projects.models import Project


def asset_set_role(*, project: Project, asset_ids: list[int], role: str) -> int:
    if role not in AssetRole.values:
        raise ValueError(f"unknown asset role {role!r}")
    return Asset.objects.filter(project=project, pk__in=asset_ids).update(role=role)


def asset_delete(*, project: Project, asset_ids: list[int]) -> tuple[int, list[str]]:
    """Deletes the images no run used: the rows now, their files once the deletion is committed (never the
    other way round). Images a run used are kept, since the run's record shows them; their names come back."""
    from studio.runs.models import RunInput

    assets = list(Asset.objects.filter(project=project, pk__in=asset_ids).only("file", "thumbnail", "original_name"))
    used = set(RunInput.objects.filter(asset__in=assets).values_list("asset_id", flat=True))
    kept = sorted(asset.original_name for asset in assets if asset.pk in used)
    deleting = [asset for asset in assets if asset.pk not in used]
    names = [name for asset in deleting for name in (asset.file.name, asset.thumbnail.name)]
    try:
        with transaction.atomic():
            Asset.objects.filter(pk__in=[asset.pk for asset in deleting]).delete()
            transaction.on_commit(lambda: [default_storage.delete(name) for name in names])
    except ProtectedError:  # a job started with one of them just now: nothing deleted, all kept
        return 0, sorted(asset.original_name for asset in assets)
    return len(deleting), kept
