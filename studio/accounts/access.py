"""Who may see and do what. Views call these; another team's object is a 404, a missing role a 403."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from studio.accounts.middleware import SESSION_TEAM_KEY
from studio.accounts.models import Membership, Role, Team


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


def is_operator(request) -> bool:
    return request.user.is_authenticated and request.user.operates_studio


def require_console(request) -> None:
    """The admin console: studio operators, and the admins of the current team (for their teams)."""
    if is_operator(request):
        return
    membership = current_membership(request)
    if membership.role != Role.ADMIN:
        raise PermissionDenied(
            _("Your role in “%(team)s” is %(role)s: only Admins can open the admin console.")
            % {"team": membership.team.name, "role": membership.get_role_display()}
        )


def require_operator(request) -> None:
    """Vendor accounts and keys, prices, points grants and the vendor-side check: the studio's, not a team's."""
    require_console(request)
    if not is_operator(request):
        raise PermissionDenied(
            _("Only studio operators manage vendor accounts, prices and teams' points. Ask one of them.")
        )


def managed_teams(request):
    """The teams whose members, ledger and spend this user manages: every team for an operator, else those
    where they are an admin."""
    if is_operator(request):
        return Team.objects.all()
    return Team.objects.filter(
        pk__in=[team_id for team_id, membership in request.memberships.items() if membership.role == Role.ADMIN]
    )


def admin_team_ids(request) -> list[int]:
    return list(managed_teams(request).values_list("pk", flat=True))


def require_review(membership: Membership) -> None:
    if not membership.can_review:
        raise PermissionDenied(
            _("Your role in “%(team)s” is %(role)s: only Reviewers and Admins can approve, reject or reset images.")
            % {"team": membership.team.name, "role": membership.get_role_display()}
        )
