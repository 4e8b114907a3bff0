"""Knowing when work finishes: the Activity page (running, finished today, failed, across every project of the
person's teams) and the notices a person gets, on any page, when a run they started ends."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET

from studio.runs.models import TERMINAL_RUN_STATES, Run, RunState

LISTED = 50  # runs a section shows; the newest first
FAILED_WITHIN = timedelta(days=7)
NOTICES_SEEN = "run_notices_seen"  # session key: runs that finished before this time were told already


def activity_sections(*, team_ids: list[int], user=None) -> dict[str, list[Run]]:
    """Each section walks an index of its own (open runs; finished_at), never the whole history."""
    runs = Run.objects.filter(project__team_id__in=team_ids).select_related("project", "offering", "created_by")
    if user is not None:
        runs = runs.filter(created_by=user)
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "running": list(runs.filter(finished_at__isnull=True).order_by("-created_at")[:LISTED]),
        "finished": list(
            runs.filter(finished_at__gte=midnight).exclude(state=RunState.FAILED).order_by("-finished_at")[:LISTED]
        ),
        "failed": list(
            runs.filter(
                finished_at__gte=timezone.now() - FAILED_WITHIN, state__in=(RunState.FAILED, RunState.PARTIAL)
            ).order_by("-finished_at")[:LISTED]
        ),
    }


@login_required
@require_GET
def activity(request):
    mine = request.GET.get("who") != "team"
    context = {
        "mine": mine,
        "sections": activity_sections(team_ids=list(request.memberships), user=request.user if mine else None),
    }
    template = "runs/activity.html#sections" if request.htmx else "runs/activity.html"
    return render(request, template, context)


@login_required
@require_GET
def run_notices(request):
    """Polled by every page: the person's runs that ended since the last poll, as notices (204: none)."""
    now = timezone.now()
    seen = parse_datetime(request.session.get(NOTICES_SEEN, "")) if request.session.get(NOTICES_SEEN) else None
    if seen is None or seen < now - timedelta(days=1):  # first poll, or back after a long while: no flood
        request.session[NOTICES_SEEN] = now.isoformat()
        return HttpResponse(status=204)
    ended = list(
        Run.objects.filter(created_by=request.user, finished_at__gt=seen, state__in=TERMINAL_RUN_STATES)
        .select_related("project")
        .order_by("finished_at")[:10]
    )
    if not ended:
        return HttpResponse(status=204)
    request.session[NOTICES_SEEN] = ended[-1].finished_at.isoformat()
    return render(request, "runs/_notices.html", {"ended": ended})
