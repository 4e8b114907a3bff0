from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from studio.accounts.access import membership_for_team, require_edit
from studio.accounts.models import Membership
from studio.projects.models import Project


def get_project_for_user(request, project_id: int, *, edit: bool = False) -> tuple[Project, Membership]:
    """The project if the user is in its team (else 404); with edit=True also their role must allow it."""
    project = get_object_or_404(
        Project.objects.select_related("team"), pk=project_id, team_id__in=list(request.memberships)
    )
    membership = membership_for_team(request, project.team_id)
    if edit:
        require_edit(membership)
    return project, membership


def require_active(project: Project) -> None:
    if project.is_archived:
        raise PermissionDenied(_("“%(name)s” is archived. Restore it to change it.") % {"name": project.name})
