from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Wallet(models.Model):
    """A team's points. `balance` is a cached sum of the wallet's ledger entries.

    Only the services in studio/points/services.py change it, always in the same transaction that
    appends the entry, and always with the wallet row locked: two holds reading the same balance
    concurrently would otherwise both pass the "enough points?" check and overdraw the wallet.
    `manage.py reconcile_points` re-checks the sum.
    """

    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, related_name="wallet")
    balance = models.IntegerField(_("balance"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # The last line of defence if a code path ever forgets the lock: the database refuses an overdraft.
            models.CheckConstraint(condition=Q(balance__gte=0), name="wallet_balance_not_negative"),
        ]

    def __str__(self) -> str:
        return str(self.team)


class EntryKind(models.TextChoices):
    GRANT = "grant", _("Grant")
    HOLD = "hold", _("Hold")
    REFUND = "refund", _("Refund")
    ADJUSTMENT = "adjustment", _("Adjustment")


class LedgerEntry(models.Model):
    """One change of a wallet. Append-only: entries are never edited or deleted, mistakes are adjusted.

    `key` is the idempotency key: a worker that crashes after charging and runs again, or two
    workers handling the same task, write one entry between them because the second insert hits
    the unique index.
    """

    Kind = EntryKind

    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=16, choices=EntryKind.choices)
    amount = models.IntegerField(_("amount"), help_text=_("Points: positive adds to the balance, negative takes."))
    balance_after = models.IntegerField(_("balance after"))
    key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    # A plain id, not a foreign key: the runs app links it.
    run_id = models.PositiveBigIntegerField(_("run"), null=True, blank=True, db_index=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # Set by Python while the wallet row is locked, so within a wallet it follows the order of the entries.
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["wallet", "-created_at"], name="ledger_wallet_newest")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind__in=[EntryKind.GRANT, EntryKind.REFUND], amount__gt=0)
                    | Q(kind=EntryKind.HOLD, amount__lt=0)
                    | (Q(kind=EntryKind.ADJUSTMENT) & ~Q(amount=0))
                ),
                name="ledger_amount_sign_matches_kind",
            ),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="ledger_balance_after_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount:+d} → {self.balance_after} ({self.key})"
