"""Monthly budgets: a team an operator gave one starts every month with its wallet topped up to it.

The top-up is a grant in the ledger like any other, written once per team and month (the team's
budget_month, moved under its row lock, says whether it is done) at the first hold or price of the month,
so there is no scheduled job to miss; a budget changed mid-month tops up again. It never takes points away:
a one-off grant on top of the budget stays until it is spent.
"""

import uuid
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from studio.accounts.models import Team, User
from studio.audit.models import AuditAction
from studio.audit.services import audit_record
from studio.points.models import LedgerEntry
from studio.points.services import points_grant, wallet_lock


def budget_top_up(*, team: Team, today: date | None = None) -> LedgerEntry | None:
    """Tops the wallet up to the monthly budget if this month has not been yet; the grant, if one was due."""
    month = (today or timezone.localdate()).replace(day=1)
    if not team.monthly_budget or team.budget_month == month:
        return None
    with transaction.atomic():
        if not Team.objects.filter(pk=team.pk).exclude(budget_month=month).update(budget_month=month):
            return None  # another request topped it up first
        team.budget_month = month
        missing = team.monthly_budget - wallet_lock(team=team).balance
        if missing <= 0:
            return None
        return points_grant(
            team=team, amount=missing, user=None, key=f"budget:{team.pk}:{month:%Y-%m}:{uuid.uuid4().hex}",
            reason=_("Monthly budget for %(month)s: topped up to %(budget)d points")
            % {"month": f"{month:%Y-%m}", "budget": team.monthly_budget},
        )  # fmt: skip


def budget_set(*, team: Team, monthly_budget: int | None, actor: User) -> None:
    """An operator sets (or removes) a team's budget; a new budget tops the wallet up at once, for this month."""
    with transaction.atomic():
        before = Team.objects.select_for_update().get(pk=team.pk).monthly_budget
        if before == monthly_budget:
            return
        Team.objects.filter(pk=team.pk).update(monthly_budget=monthly_budget, budget_month=None)
        team.monthly_budget, team.budget_month = monthly_budget, None
        audit_record(actor=actor, action=AuditAction.BUDGET_CHANGED, target=team.name, team=team,
                     monthly_budget=[before, monthly_budget])  # fmt: skip
    budget_top_up(team=team)
