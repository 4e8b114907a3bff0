from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from studio.assets import services
from studio.assets.ingest import asset_ingest
from studio.assets.models import Asset, AssetRole
from studio.assets.selectors import LibraryFilters, asset_list
from studio.assets.vendor_urls import asset_from_token
from studio.core.files import serve_stored_file
from studio.projects.access import get_project_for_user, require_active
from studio.projects.views import render_project_page


@login_required
@require_POST
def asset_upload(request, project_id: int):
    """Takes one file (the page's uploader sends them one by one, for progress) or many (plain form)."""
    project, _membership = get_project_for_user(request, project_id, edit=True)
    require_active(project)
    role = request.POST.get("role", AssetRole.PRODUCT)
    if role not in AssetRole.values:
        role = AssetRole.PRODUCT
    outcomes = [
        asset_ingest(project=project, upload=upload, role=role, user=request.user)
        for upload in request.FILES.getlist("files")
    ]
    skipped = getattr(request, "uploads_skipped", [])
    if request.headers.get("Accept") == "application/json":
        too_many = _("Not uploaded: at most %(max)d images go in one upload. Upload it again.") % {
            "max": settings.UPLOAD_MAX_FILES
        }
        results = [_outcome_json(outcome) for outcome in outcomes]
        results += [{"name": name, "status": "rejected", "message": too_many, "asset_id": None} for name in skipped]
        return JsonResponse({"results": results})
    if not outcomes:
        messages.error(request, _("Choose one or more images to upload."))
    for outcome in outcomes:
        level = messages.SUCCESS if outcome.status == "kept" else messages.WARNING
        if outcome.status == "rejected":
            level = messages.ERROR
        messages.add_message(request, level, f"{outcome.name}: {outcome.message}")
    if skipped:
        messages.error(
            request,
            ngettext(
                "%(count)d more image was not uploaded (at most %(max)d go in one upload): %(names)s. Upload it again.",
                "%(count)d more images were not uploaded (at most %(max)d go in one upload): %(names)s. "
                "Upload them again.",
                len(skipped),
            )
            % {"count": len(skipped), "max": settings.UPLOAD_MAX_FILES, "names": ", ".join(skipped)},
        )
    return redirect("projects:detail", project_id=project.pk)


def _outcome_json(outcome) -> dict:
    asset = outcome.asset
    return {
        "name": outcome.name,
        "status": outcome.status,
        "message": outcome.message,
        "asset_id": asset.pk if asset else None,
        "thumbnail_url": reverse("assets:thumbnail", args=[asset.pk]) if asset else None,
    }


@login_required
@require_POST
def asset_bulk(request, project_id: int):
    project, membership = get_project_for_user(request, project_id, edit=True)
    require_active(project)
    if request.POST.get("all_matching") == "1":  # every image the library's filters match, loaded or not
        filters = LibraryFilters.from_query(request.GET)
        asset_ids = list(asset_list(project=project, filters=filters).values_list("pk", flat=True))
    else:
        asset_ids = [int(value) for value in request.POST.getlist("asset") if value.isdigit()]
    action = request.POST.get("action")
    if not asset_ids:
        messages.error(request, _("Select one or more images first."))
    elif action == "compose":
        return _compose_with(request, project, asset_ids)
    elif action == "set_role" and request.POST.get("role") in AssetRole.values:
        role = AssetRole(request.POST["role"])
        changed = services.asset_set_role(project=project, asset_ids=asset_ids, role=role)
        messages.success(
            request,
            ngettext("%(count)d image is now %(role)s.", "%(count)d images are now %(role)s.", changed)
            % {"count": changed, "role": role.label},
        )
    elif action == "delete":
        deleted, kept = services.asset_delete(project=project, asset_ids=asset_ids)
        if deleted:
            messages.success(
                request, ngettext("Deleted %(count)d image.", "Deleted %(count)d images.", deleted) % {"count": deleted}
            )
        if kept:
            messages.warning(
                request,
                ngettext(
                    "Kept %(count)d image that jobs used, so that their records stay whole: %(names)s.",
                    "Kept %(count)d images that jobs used, so that their records stay whole: %(names)s.",
                    len(kept),
                )
                % {"count": len(kept), "names": ", ".join(kept[:5]) + (" …" if len(kept) > 5 else "")},
            )
    else:
        messages.error(request, _("Choose what to do with the selected images."))
    if request.htmx:
        return render_project_page(request, project, membership)
    return redirect(f"{reverse('projects:detail', args=[project.pk])}?{LibraryFilters.from_query(request.GET).query()}")


def _compose_with(request, project, asset_ids: list[int]):
    """ "New job with these": the composer opens with the selection chosen, each image in its role's picker. The
    ids wait in the session, as a URL could not hold 2,000 of them."""
    request.session[f"compose_with:{project.pk}"] = asset_ids  # the composer takes this project's only
    url = f"{reverse('runs:compose', args=[project.pk])}?picked=1"
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _get_asset_for_user(request, asset_id: int) -> Asset:
    return get_object_or_404(
        Asset.objects.only("file", "thumbnail", "original_name", "content_type"),
        pk=asset_id,
        project__team_id__in=list(request.memberships),
    )


@login_required
@require_GET
def asset_thumbnail(request, asset_id: int):
    asset = _get_asset_for_user(request, asset_id)
    return serve_stored_file(asset.thumbnail, "image/webp")


@login_required
@require_GET
def asset_original(request, asset_id: int):
    asset = _get_asset_for_user(request, asset_id)
    download = request.GET.get("download") == "1"
    return serve_stored_file(asset.file, asset.content_type, download_name=asset.original_name if download else None)


@require_GET
def asset_vendor_input(request, token: str, filename: str):
    """No sign-in: the signed token is the permission, for this one file, until it expires."""
    asset = asset_from_token(token)
    if asset is None:
        raise Http404
    return serve_stored_file(asset.file, asset.content_type)
