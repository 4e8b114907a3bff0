from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
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
