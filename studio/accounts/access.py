"""Who may see and do what. Views call these; another team's object is a 404, a missing role a 403."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from studio.accounts.middleware import SESSION_TEAM_KEY
from studio.accounts.models import Membership, Role


def membership_for_team(request, team_id: int) -> Membership:
    membership = request.memberships.get(team_id)
    if membership is None:
        raise Http404
    if request.session.get(SESSION_TEAM_KEY) != team_id:
        # Opening a team's object makes that team the current one, so the header matches the page.
        request.session[SESSION_TEAM_KEY] = team_id
        request.membership = membership
    return membership


def current_membership(request) -> Membership:
    if not request.membership:
        raise PermissionDenied(_("You are not a member of any team yet. Ask a team admin to add you."))
    return request.membership


def require_edit(membership: Membership) -> None:
    if not membership.can_edit:
        raise PermissionDenied(
            _("Your role in “%(team)s” is %(role)s: only Staff and Admins can change projects and images.")
            % {"team": membership.team.name, "role": membership.get_role_display()}
        )


def require_admin(request) -> Membership:
    """The admin console: held through the admin role of the current team.

    Vendors and prices are the studio's, so every admin manages them; a team's members, points and
    spend only that team's admins (see admin_team_ids).
    """
    membership = current_membership(request)
    if membership.role != Role.ADMIN:
        raise PermissionDenied(
            _("Your role in “%(team)s” is %(role)s: only Admins can open the admin console.")
            % {"team": membership.team.name, "role": membership.get_role_display()}
        )
    return membership


def admin_team_ids(request) -> list[int]:
    """The teams whose members, points and spend this user manages: those where they are an admin."""
    return [team_id for team_id, membership in request.memberships.items() if membership.role == Role.ADMIN]


def require_review(membership: Membership) -> None:
    if not membership.can_review:
        raise PermissionDenied(
            _("Your role in “%(team)s” is %(role)s: only Reviewers and Admins can approve, reject or reset images.")
            % {"team": membership.team.name, "role": membership.get_role_display()}
        )
