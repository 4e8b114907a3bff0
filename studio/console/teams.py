"""Teams in the console: members and roles, monthly limits, points granted or deducted, and the ledger."""

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from studio.accounts.access import is_operator, managed_teams, require_console, require_operator
from studio.accounts.models import Membership, Role, Team
from studio.accounts.services import member_add, member_change, member_remove, team_create
from studio.core.csv_export import csv_download
from studio.points.budgets import budget_set, budget_top_up
from studio.points.models import EntryKind, LedgerEntry
from studio.points.services import AdjustmentBelowZero, points_admin_change

LEDGER_PAGE_SIZE = 50


@login_required
@require_GET
def console_home(request):
    """Operators start at the vendors, team admins at their teams."""
    require_console(request)
    return redirect("console:vendors" if is_operator(request) else "console:teams")


@login_required
def team_list(request):
    require_console(request)
    if request.method == "POST":
        require_operator(request)  # teams are the studio's to make
        try:
            team = team_create(name=request.POST.get("name", ""), actor=request.user)
        except ValidationError as invalid:
            messages.error(request, " ".join(invalid.messages))
        else:
            messages.success(request, _("Created “%(name)s”. Add its members and points.") % {"name": team.name})
            return redirect("console:team", team_id=team.pk)
    teams = (
        managed_teams(request)
        .select_related("wallet")
        .annotate(members=Count("memberships"), admins=Count("memberships", filter=Q(memberships__role=Role.ADMIN)))
    )
    return render(request, "console/teams.html", {"section": "teams", "teams": teams})


@login_required
@require_GET
def team_detail(request, team_id: int):
    require_console(request)
    team = _team_for_admin(request, team_id)
    return _render_team(request, team)


@login_required
@require_POST
def team_member_add(request, team_id: int):
    require_console(request)
    team = _team_for_admin(request, team_id)
    form = NewMemberForm(request.POST)
    form.is_valid()  # member_add says what is wrong with a name, an address or a role
    try:
        membership, invite_path = member_add(
            team=team, who=form.cleaned_data["who"], role=form.cleaned_data["role"], actor=request.user
        )
    except ValidationError as invalid:
        return _render_team(request, team, member_error=" ".join(invalid.messages), status=400)
    if invite_path:
        link = request.build_absolute_uri(invite_path)
        messages.success(
            request,
            _("Invited %(user)s. Send them this one-time link to choose a password (valid for 3 days): %(link)s")
            % {"user": membership.user.username, "link": link},
        )
    else:
        messages.success(request, _("Added %(user)s as %(role)s.") % {
            "user": membership.user.username, "role": membership.get_role_display()})  # fmt: skip
    return redirect("console:team", team_id=team.pk)


@login_required
@require_POST
def team_member_update(request, team_id: int, membership_id: int):
    require_console(request)
    team = _team_for_admin(request, team_id)
    membership = get_object_or_404(Membership.objects.select_related("user", "team"), pk=membership_id, team=team)
    try:
        if request.POST.get("action") == "remove":
            member_remove(membership=membership, actor=request.user)
            messages.success(request, _("Removed %(user)s from the team.") % {"user": membership.user.username})
        else:
            form = MemberForm(request.POST)
            if not form.is_valid():
                raise ValidationError([message for messages in form.errors.values() for message in messages])
            member_change(
                membership=membership, role=form.cleaned_data["role"],
                monthly_limit=form.cleaned_data["monthly_points_limit"], actor=request.user,
            )  # fmt: skip
            messages.success(request, _("Saved %(user)s.") % {"user": membership.user.username})
    except ValidationError as invalid:
        messages.error(request, " ".join(invalid.messages))
    else:
        if membership.user_id == request.user.pk:  # they may have just given up managing this team
            return redirect("projects:list")
    return redirect("console:team", team_id=membership.team_id)


class PointsForm(forms.Form):
    direction = forms.ChoiceField(choices=[("grant", "grant"), ("deduct", "deduct")])
    amount = forms.IntegerField(min_value=1, max_value=100_000_000)
    reason = forms.CharField(max_length=300, required=False)  # required by the ledger, which says so itself
    form_key = forms.CharField(max_length=64, required=False)

    def signed_amount(self) -> int:
        amount = self.cleaned_data["amount"]
        return -amount if self.cleaned_data["direction"] == "deduct" else amount


@login_required
@require_POST
def team_points(request, team_id: int):
    require_operator(request)
    team = _team_for_admin(request, team_id)
    form = PointsForm(request.POST)
    if not form.is_valid():
        return _render_team(request, team, points_error=_("Enter a whole number of points."), status=400)
    try:
        points_admin_change(
            team=team, amount=form.signed_amount(), reason=form.cleaned_data["reason"], actor=request.user,
            key=f"admin:{form.cleaned_data['form_key'] or uuid.uuid4().hex}",
        )  # fmt: skip
    except ValidationError as invalid:
        return _render_team(request, team, points_error=" ".join(invalid.messages), status=400)
    except AdjustmentBelowZero as refused:
        return _render_team(request, team, points_error=refused.message, status=400)
    messages.success(request, _("Done: %(team)s now has %(balance)s points.") % {
        "team": team.name, "balance": team.wallet.balance})  # fmt: skip
    return redirect("console:team", team_id=team.pk)


class BudgetForm(forms.Form):
    monthly_budget = forms.IntegerField(min_value=1, max_value=10_000_000, required=False)


@login_required
@require_POST
def team_budget(request, team_id: int):
    require_operator(request)
    team = _team_for_admin(request, team_id)
    form = BudgetForm(request.POST)
    if not form.is_valid():
        return _render_team(request, team, budget_error=" ".join(form.errors["monthly_budget"]), status=400)
    budget = form.cleaned_data["monthly_budget"]
    budget_set(team=team, monthly_budget=budget, actor=request.user)
    if budget:
        messages.success(request, _("%(team)s now starts every month with %(budget)s points.") % {
            "team": team.name, "budget": budget})  # fmt: skip
    else:
        messages.success(request, _("%(team)s has no monthly budget now.") % {"team": team.name})
    return redirect("console:team", team_id=team.pk)


@login_required
@require_GET
def team_ledger(request, team_id: int):
    require_console(request)
    team = _team_for_admin(request, team_id)
    filters, entries = _ledger(request, team)
    if request.GET.get("format") == "csv":
        return _ledger_csv(team, entries)
    page = Paginator(entries, LEDGER_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "section": "teams", "team": team, "page": page, "filters": filters, "kinds": EntryKind.choices,
        "members": team.memberships.select_related("user"),
    }  # fmt: skip
    return render(request, "console/ledger.html", context)


def _team_for_admin(request, team_id: int) -> Team:
    """Another team's page is a 404, as everywhere: only the team's own admins manage it."""
    return get_object_or_404(managed_teams(request), pk=team_id)


def _render_team(request, team: Team, *, status: int = 200, **errors):
    budget_top_up(team=team)  # the balance shown is the month's, budget included
    context = {
        "section": "teams",
        "team": team,
        "memberships": team.memberships.select_related("user").order_by("user__username"),
        "roles": Role.choices,
        "recent": LedgerEntry.objects.filter(wallet__team=team).select_related("created_by")[:10],
        "form_key": uuid.uuid4().hex,
        "can_change_points": is_operator(request),  # a team admin cannot grant their own team points
        "posted": request.POST if status != 200 else {},
        **errors,
    }
    return render(request, "console/team.html", context, status=status)


class NewMemberForm(forms.Form):
    who = forms.CharField(required=False)  # a username or an email address
    role = forms.CharField(required=False)


class MemberForm(forms.Form):
    role = forms.CharField(max_length=16)  # member_change says which roles there are
    monthly_points_limit = forms.IntegerField(
        min_value=0, max_value=100_000_000, required=False,
        error_messages={name: gettext_lazy("A monthly limit is a whole number of points, or empty for none.")
                        for name in ("invalid", "min_value", "max_value")},
    )  # fmt: skip


def _ledger(request, team: Team):
    """The team's entries matching the filters in the query string (ignored when not understood)."""
    entries = LedgerEntry.objects.filter(wallet__team=team).select_related("created_by")
    filters = {name: request.GET.get(name, "").strip() for name in ("kind", "member", "run", "from", "to")}
    if filters["kind"] in EntryKind.values:
        entries = entries.filter(kind=filters["kind"])
    if filters["member"].isdigit():
        entries = entries.filter(created_by_id=filters["member"])
    if filters["run"].isdigit():
        entries = entries.filter(run_id=filters["run"])
    if parse_date(filters["from"] or "x"):
        entries = entries.filter(created_at__date__gte=parse_date(filters["from"]))
    if parse_date(filters["to"] or "x"):
        entries = entries.filter(created_at__date__lte=parse_date(filters["to"]))
    return filters, entries


def _ledger_csv(team: Team, entries) -> HttpResponse:
    response, writer = csv_download(f"ledger-team-{team.pk}.csv")
    writer.writerow(["time", "kind", "amount", "balance_after", "who", "run", "reason", "key"])
    for entry in entries.iterator(chunk_size=2000):
        writer.writerow([
            entry.created_at.isoformat(), entry.kind, entry.amount, entry.balance_after,
            entry.created_by.username if entry.created_by else "", entry.run_id or "", entry.reason, entry.key,
        ])  # fmt: skip
    return response
