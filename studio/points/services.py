"""Every change of a wallet: one ledger entry and the new balance, written together in one transaction.

Each service is idempotent by its `key`: called again with the same key (a retried worker task, a
double-clicked form) it returns the entry written the first time and changes nothing.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from studio.accounts.models import Team, User
from studio.audit.models import AuditAction
from studio.audit.services import audit_record
from studio.points.models import EntryKind, LedgerEntry, Wallet

KEY_MAX_LENGTH = LedgerEntry._meta.get_field("key").max_length
REASON_MAX_LENGTH = LedgerEntry._meta.get_field("reason").max_length


class InsufficientPoints(Exception):
    """The wallet cannot cover a hold; nothing was written."""

    def __init__(self, *, balance: int, needed: int, shortfall: int | None = None):
        self.balance = balance
        self.needed = needed
        self.shortfall = needed - balance if shortfall is None else shortfall
        super().__init__(balance, needed, self.shortfall)

    def __reduce__(self):  # keyword-only __init__: tell pickle (django-q2 results) how to rebuild it
        return _rebuild, (type(self), {"balance": self.balance, "needed": self.needed, "shortfall": self.shortfall})

    @property
    def message(self) -> str:
        return _("This job needs %(needed)s points; the team has %(balance)s (%(shortfall)s short).") % {
            "needed": self.needed,
            "balance": self.balance,
            "shortfall": self.shortfall,
        }

    def __str__(self) -> str:
        return self.message


class AdjustmentBelowZero(InsufficientPoints):
    """A negative adjustment larger than the balance; nothing was written."""

    @property
    def message(self) -> str:
        return _("This adjustment would take the balance below zero: the team has %(balance)s points.") % {
            "balance": self.balance
        }


def _rebuild(cls, kwargs):
    return cls(**kwargs)


def wallet_for_team(*, team: Team) -> Wallet:
    return Wallet.objects.get_or_create(team=team)[0]


def wallet_lock(*, team: Team) -> Wallet:
    """Locks the team's wallet until the transaction ends: checks made after it see no concurrent hold."""
    return Wallet.objects.select_for_update().get_or_create(team=team)[0]


def points_balance(*, team: Team) -> int:
    """The team's balance, read fresh from the database (a team without a wallet has 0 points)."""
    return Wallet.objects.filter(team=team).values_list("balance", flat=True).first() or 0


def points_grant(*, team: Team, amount: int, reason: str, user: User | None, key: str) -> LedgerEntry:
    _check_amount(amount, positive=True)
    return _append(team=team, kind=EntryKind.GRANT, amount=amount, key=key, reason=_required(reason), user=user)


def points_adjust(*, team: Team, amount: int, reason: str, user: User | None, key: str) -> LedgerEntry:
    """A correction by an admin, either way; it may not take the balance below zero."""
    _check_amount(amount, positive=False)
    return _append(team=team, kind=EntryKind.ADJUSTMENT, amount=amount, key=key, reason=_required(reason), user=user)


def points_hold(*, team: Team, amount: int, run_id: int, key: str, user: User | None = None) -> LedgerEntry:
    """Take a run's points before its work starts. Raises InsufficientPoints, writing nothing, if they aren't there."""
    from studio.points.budgets import budget_top_up  # the month's budget first, if the team has one

    _check_amount(amount, positive=True)
    budget_top_up(team=team)
    return _append(team=team, kind=EntryKind.HOLD, amount=-amount, key=key, run_id=run_id, user=user)


def points_refund(*, team: Team, amount: int, run_id: int, key: str, reason: str = "") -> LedgerEntry:
    """Give back (part of) a run's hold, e.g. one failed task's share; one key per refund.

    A run's refunds together can never exceed what was held for it: that would mint points.
    """
    _check_amount(amount, positive=True)
    return _append(
        team=team, kind=EntryKind.REFUND, amount=amount, key=key, run_id=run_id, reason=_optional(reason), user=None
    )


def _check_amount(amount: int, *, positive: bool) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise ValueError(f"A points amount is a whole number, not {amount!r}.")
    if positive and amount <= 0:
        raise ValueError(f"The amount must be positive, not {amount}.")
    if amount == 0:
        raise ValueError("An adjustment of 0 points changes nothing.")


def _required(reason: str) -> str:
    reason = _optional(reason)
    if not reason:
        raise ValueError("Give a reason: the ledger shows it.")
    return reason


def _optional(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if len(reason) > REASON_MAX_LENGTH:
        raise ValueError(f"A reason can have at most {REASON_MAX_LENGTH} characters.")
    return reason


def _append(
    *,
    team: Team,
    kind: str,
    amount: int,
    key: str,
    run_id: int | None = None,
    reason: str = "",
    user: User | None = None,
) -> LedgerEntry:
    if not key or len(key) > KEY_MAX_LENGTH:
        raise ValueError(f"An idempotency key has 1 to {KEY_MAX_LENGTH} characters.")
    try:
        with transaction.atomic():
            # Lock the wallet row for the rest of the transaction. The race: two holds (two workers, two
            # browser tabs) both read balance=100, both see 60 <= 100, both write, and the wallet ends at
            # -20. With the lock the second waits here and then reads the first one's balance. On SQLite
            # select_for_update() is a no-op, but the project opens transactions with BEGIN IMMEDIATE
            # (settings: transaction_mode), so writers are already serialized when the transaction begins
            # and the busy timeout makes them queue instead of failing with "database is locked".
            wallet = Wallet.objects.select_for_update().get_or_create(team=team)[0]
            # Under the lock a replay sees the committed first entry and returns it, without re-checking
            # the balance: a retried hold that went through must not now fail as "insufficient".
            existing = LedgerEntry.objects.select_related("wallet").filter(key=key).first()
            if existing is not None:
                return _replayed(existing, team=team, kind=kind)
            if amount < 0 and wallet.balance + amount < 0:
                error = AdjustmentBelowZero if kind == EntryKind.ADJUSTMENT else InsufficientPoints
                raise error(balance=wallet.balance, needed=-amount)
            if kind == EntryKind.REFUND:
                _check_refundable(wallet=wallet, run_id=run_id, amount=amount)
            wallet.balance += amount
            entry = LedgerEntry.objects.create(
                wallet=wallet,
                kind=kind,
                amount=amount,
                balance_after=wallet.balance,
                key=key,
                run_id=run_id,
                reason=reason,
                created_by=user,
            )
            wallet.save(update_fields=["balance", "updated_at"])
            return entry
    except IntegrityError:
        # The race the check above cannot see: the same key written for another wallet (whose row we did
        # not lock) by a transaction that committed after our check; the unique index rejected our insert.
        # Any other integrity error (e.g. the balance constraint) has no entry under this key: re-raised.
        existing = LedgerEntry.objects.select_related("wallet").filter(key=key).first()
        if existing is None:
            raise
        return _replayed(existing, team=team, kind=kind)


def _replayed(entry: LedgerEntry, *, team: Team, kind: str) -> LedgerEntry:
    """The first entry written with this key; a key reused for another team or kind is a bug, not a replay."""
    if entry.kind != kind or entry.wallet.team_id != team.pk:
        raise ValueError(f"The key {entry.key!r} already belongs to a {entry.kind} of wallet #{entry.wallet_id}.")
    return entry


def _check_refundable(*, wallet: Wallet, run_id: int | None, amount: int) -> None:
    totals = LedgerEntry.objects.filter(wallet=wallet, run_id=run_id).aggregate(
        held=Coalesce(Sum("amount", filter=Q(kind=EntryKind.HOLD)), 0),
        refunded=Coalesce(Sum("amount", filter=Q(kind=EntryKind.REFUND)), 0),
    )
    refundable = -totals["held"] - totals["refunded"]
    if amount > refundable:
        raise ValueError(f"Run {run_id} has {refundable} refundable points in this wallet; cannot refund {amount}.")


MAX_ADMIN_CHANGE = 10_000_000


def points_admin_change(*, team: Team, amount: int, reason: str, actor: User, key: str) -> LedgerEntry:
    """An admin grants (amount > 0) or deducts (amount < 0) points, with a reason; recorded in the audit log.

    `key` comes from the form, so a form sent twice (a double click, a retried request) changes the wallet once.
    Raises ValidationError with a message for the admin, or AdjustmentBelowZero.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Give a reason: the team sees it in its ledger.")})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": _("A reason can have at most %(max)d characters.") % {
            "max": REASON_MAX_LENGTH}})  # fmt: skip
    if amount == 0 or abs(amount) > MAX_ADMIN_CHANGE:
        raise ValidationError({"amount": _("Enter a whole number of points from 1 to %(max)s, or minus that "
                                                 "to deduct.") % {"max": MAX_ADMIN_CHANGE}})  # fmt: skip
    with transaction.atomic():
        replay = LedgerEntry.objects.filter(key=key).exists()
        if amount > 0:
            entry = points_grant(team=team, amount=amount, reason=reason, user=actor, key=key)
        else:
            entry = points_adjust(team=team, amount=amount, reason=reason, user=actor, key=key)
        if not replay:
            action = AuditAction.POINTS_GRANTED if amount > 0 else AuditAction.POINTS_DEDUCTED
            audit_record(
                actor=actor, action=action, target=team, team=team, amount=amount, reason=reason,
                balance_after=entry.balance_after,
            )  # fmt: skip
    return entry
