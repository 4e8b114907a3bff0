from django.utils.functional import SimpleLazyObject

from studio.accounts.models import Membership

SESSION_TEAM_KEY = "team_id"


def _memberships(request) -> dict[int, Membership]:
    if not request.user.is_authenticated:
        return {}
    return {m.team_id: m for m in Membership.objects.filter(user=request.user).select_related("team")}


def _current_membership(request) -> Membership | None:
    memberships = request.memberships
    chosen = memberships.get(request.session.get(SESSION_TEAM_KEY))
    if chosen is None and memberships:
        chosen = min(memberships.values(), key=lambda m: m.team.name)
    return chosen


def team_middleware(get_response):
    """Gives every request `memberships` (team id -> Membership) and `membership` (the current team).

    Both are lazy: pages that never look at teams (healthz, static) pay no query.
    """

    def middleware(request):
        request.memberships = SimpleLazyObject(lambda: _memberships(request))
        request.membership = SimpleLazyObject(lambda: _current_membership(request))
        return get_response(request)

    return middleware
