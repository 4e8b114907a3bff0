"""The audit log: every change an admin made, newest first, searchable."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render
from django.views.decorators.http import require_GET

from studio.accounts.access import is_operator, managed_teams, require_console
from studio.audit.models import AuditAction, AuditEvent

PAGE_SIZE = 50


@login_required
@require_GET
def event_list(request):
    require_console(request)
    query = request.GET.get("q", "").strip()
    action = request.GET.get("action", "")
    events = AuditEvent.objects.select_related("actor")
    if not is_operator(request):  # a team admin: their teams' entries, not the studio's (vendors, prices)
        events = events.filter(team__in=managed_teams(request))
    if action in AuditAction.values:
        events = events.filter(action=action)
    if query:
        events = events.filter(
            Q(target__icontains=query) | Q(actor__username__icontains=query) | Q(details__icontains=query)
        )
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"section": "audit", "page": page, "query": query, "action": action, "actions": AuditAction.choices}
    return render(request, "console/audit.html", context)
