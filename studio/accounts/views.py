from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from studio.accounts.access import membership_for_team


@login_required
@require_POST
def team_switch(request):
    try:
        team_id = int(request.POST.get("team", ""))
    except ValueError:
        team_id = 0
    membership_for_team(request, team_id)
    return redirect("projects:list")


def locked_out(request, credentials=None, *args, **kwargs):
    """django-axes' answer to a sign-in from a locked account or address (AXES_LOCKOUT_CALLABLE)."""
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": round(settings.AXES_COOLOFF_TIME.total_seconds() / 60),
    }
    return render(request, "registration/locked_out.html", context, status=429)
