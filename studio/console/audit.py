"""The audit log: every change an admin made, newest first, searchable."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render
from django.views.decorators.http import require_GET

from studio.accounts.access import admin_team_ids, require_admin
from studio.audit.models import AuditAction, AuditEvent

PAGE_SIZE = 50


@login_required
@require_GET
def event_list(request):
    require_admin(request)
    query = request.GET.get("q", "").strip()
    action = request.GET.get("action", "")
    # Studio-wide changes (vendors, prices) and those of the teams this admin manages.
    events = AuditEvent.objects.select_related("actor").filter(Q(team=None) | Q(team__in=admin_team_ids(request)))
    if action in AuditAction.values:
        events = events.filter(action=action)
    if query:
        events = events.filter(
            Q(target__icontains=query) | Q(actor__username__icontains=query) | Q(details__icontains=query)
        )
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"section": "audit", "page": page, "query": query, "action": action, "actions": AuditAction.choices}
    return render(request, "console/audit.html", context)
