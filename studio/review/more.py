""" "Make more like this": an output becomes an image of its project and opens the composer.

The composer only takes the project's images (assets) as inputs, so the output's stored bytes go through
the ordinary upload check (a twin already in the project is reused). The composer then opens on the run's
own settings (`form_from_run`, as "run again with changes" does) with this image in the chosen place;
nothing is started or charged until the user presses Start.
"""

from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.utils.translation import gettext as _

from studio.accounts.models import User
from studio.assets.ingest import asset_ingest
from studio.assets.models import Asset, AssetRole
from studio.review.archive import safe_name
from studio.runs.composer import form_from_run
from studio.runs.models import Output

USES = ("input", "reference")
MAIN_ROLES = ("product", "model", "garment")


class CannotReuse(Exception):
    """The output cannot become a project image (too large for uploads, missing file); the message says why."""


@dataclass
class ComposerStart:
    query: QueryDict
    asset: Asset
    warning: str = ""


def output_compose_more(*, output: Output, use: str, user: User) -> ComposerStart:
    run = output.run
    roles = [spec.role for spec in run.offering.input_specs() if spec.max > 0]
    role = _main_role(output, roles) if use == "input" else "reference"
    asset = _as_asset(output, role if role in AssetRole.values else AssetRole.PRODUCT, user)
    query = form_from_run(run)
    query.setlist(f"input_{role}", [str(asset.pk)])
    warning = ""
    if role not in roles:
        warning = _(
            "This operation takes no %(role)s image: the output was added to the project's images; "
            "choose an operation that uses one."
        ) % {"role": AssetRole(role).label if role in AssetRole.values else role}
    return ComposerStart(query, asset, warning)


def _main_role(output: Output, roles: list[str]) -> str:
    """The role the output's source played in its run, else the operation's first main role."""
    used = {run_input.asset_id: run_input.role for run_input in output.run.inputs.all()}
    if output.source_asset_id in used:
        return used[output.source_asset_id]
    return next((role for role in roles if role in MAIN_ROLES), roles[0] if roles else AssetRole.PRODUCT)


def _as_asset(output: Output, role: str, user: User) -> Asset:
    product = output.source_asset.original_name if output.source_asset else ""
    extension = output.file.name.rsplit(".", 1)[-1]
    name = f"{safe_name(product, 'output')}-{output.run.operation.replace('_', '-')}-{output.pk}.{extension}"
    try:
        with default_storage.open(output.file.name, "rb") as stored:
            content = stored.read()
    except OSError:
        raise CannotReuse(_("The image file is missing from storage.")) from None
    outcome = asset_ingest(
        project=output.run.project,
        upload=SimpleUploadedFile(name, content, content_type=output.content_type),
        role=role,
        user=user,
    )
    if outcome.asset is None:
        raise CannotReuse(outcome.message)
    return outcome.asset
