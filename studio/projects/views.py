from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from studio.accounts.access import current_membership, require_edit
from studio.assets.models import AssetRole
from studio.assets.selectors import LibraryFilters, asset_list, asset_role_counts
from studio.projects import selectors, services
from studio.projects.access import get_project_for_user, require_active
from studio.runs.models import Run

ASSETS_PER_PAGE = 60


@login_required
@require_GET
def project_list(request):
    if not request.membership and request.user.operates_studio:  # an operator of no team: their pages are there
        return redirect("console:home")
    return _render_list(request, current_membership(request))


def _render_list(request, membership, *, create_error: str = "", name: str = ""):
    archived = request.GET.get("archived") == "1"
    context = {
        "membership": membership,
        "projects": selectors.project_list(team=membership.team, archived=archived),
        "archived": archived,
        "archived_count": membership.team.projects.filter(archived_at__isnull=False).count(),
        "create_error": create_error,
        "name": name,
    }
    return render(request, "projects/list.html", context, status=400 if create_error else 200)


@login_required
@require_POST
def project_create(request):
    membership = current_membership(request)
    require_edit(membership)
    name = request.POST.get("name", "")
    try:
        project = services.project_create(team=membership.team, name=name, user=request.user)
    except ValidationError as error:
        return _render_list(request, membership, create_error=error.messages[0], name=name)
    return redirect("projects:detail", project_id=project.pk)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def project_detail(request, project_id: int):
    project, membership = get_project_for_user(request, project_id)
    return render_project_page(request, project, membership)


def render_project_page(request, project, membership, *, rename_error: str = "", status: int = 200):
    filters = LibraryFilters.from_query(request.GET)
    try:
        page = min(max(1, int(request.GET.get("page", "1"))), 100_000)
    except ValueError:
        page = 1
    start = (page - 1) * ASSETS_PER_PAGE
    assets = list(asset_list(project=project, filters=filters)[start : start + ASSETS_PER_PAGE + 1])
    counts = asset_role_counts(project=project)
    context = {
        "project": project,
        "membership": membership,
        "can_edit": membership.can_edit and not project.is_archived,
        "assets": assets[:ASSETS_PER_PAGE],
        "next_page": page + 1 if len(assets) > ASSETS_PER_PAGE else None,
        "matching": _matching(project, filters, assets) if page == 1 else 0,
        "role": filters.role,
        "filters": filters,
        "usage_runs": [(f"run-{run.pk}", run) for run in Run.objects.filter(project=project).order_by("-pk")[:20]],
        "roles": [(value, label, counts.get(value, 0)) for value, label in AssetRole.choices],
        "total": sum(counts.values()),
        "rename_error": rename_error,
        "upload_max_files": settings.UPLOAD_MAX_FILES,
        "upload_max_bytes": settings.UPLOAD_MAX_BYTES,
        "upload_max_megapixels": settings.UPLOAD_MAX_PIXELS // 1_000_000,
    }
    template = "projects/detail.html"
    if request.htmx and not request.htmx.boosted:
        template += "#asset-page" if page > 1 else "#asset-library"
    return render(request, template, context, status=status)


def _matching(project, filters, first_page: list) -> int:
    """How many images the filters match: counted only when they fill more than a page."""
    if len(first_page) <= ASSETS_PER_PAGE:
        return len(first_page)
    return asset_list(project=project, filters=filters).count()


@login_required
@require_POST
def project_rename(request, project_id: int):
    project, membership = get_project_for_user(request, project_id, edit=True)
    try:
        services.project_rename(project=project, name=request.POST.get("name", ""))
    except ValidationError as error:
        project.refresh_from_db()
        return render_project_page(request, project, membership, rename_error=error.messages[0], status=400)
    messages.success(request, _("Renamed to “%(name)s”.") % {"name": project.name})
    return redirect("projects:detail", project_id=project.pk)


@login_required
@require_POST
def project_archive(request, project_id: int):
    project, _membership = get_project_for_user(request, project_id, edit=True)
    require_active(project)
    services.project_archive(project=project)
    messages.success(request, _("Archived “%(name)s”. Find it under Archived to restore it.") % {"name": project.name})
    return redirect("projects:list")


@login_required
@require_POST
def project_restore(request, project_id: int):
    project, _membership = get_project_for_user(request, project_id, edit=True)
    services.project_restore(project=project)
    messages.success(request, _("Restored “%(name)s”.") % {"name": project.name})
    return redirect("projects:detail", project_id=project.pk)
