"""Re-check what the ledger promises. `manage.py reconcile_points` runs every function in CHECKS.

A check takes no arguments and returns one message per difference (an empty list when all is well).
Other apps add theirs from their AppConfig.ready(), e.g. the runs app:

    from studio.points.reconcile import CHECKS
    CHECKS.append(run_charge_differences)
"""

from collections.abc import Callable

from django.db.models import F, Sum, Window
from django.db.models.functions import Coalesce

from studio.points.models import LedgerEntry, Wallet


def wallet_differences() -> list[str]:
    """Each wallet's balance is the sum of its entries, and each entry's balance_after is the running sum.

    Two queries whatever the size of the ledger; the database returns only the rows that differ.
    """
    differences = []
    wallets = (
        Wallet.objects.select_related("team")
        .annotate(total=Coalesce(Sum("entries__amount"), 0))
        .exclude(balance=F("total"))
        .order_by("pk")
    )
    for wallet in wallets:
        differences.append(
            f"Wallet #{wallet.pk} of {wallet.team}: balance {wallet.balance}, "
            f"but its ledger entries sum to {wallet.total}."
        )
    running_sum = Window(
        Sum("amount"), partition_by=[F("wallet_id")], order_by=[F("id").asc()]
    )  # ids, not clocks: machines may disagree
    entries = (
        LedgerEntry.objects.select_related("wallet__team")
        .annotate(running=running_sum)
        .exclude(balance_after=F("running"))
        .order_by("wallet_id", "id")
    )
    for entry in entries:
        differences.append(
            f"Wallet #{entry.wallet_id} of {entry.wallet.team}: entry #{entry.pk} ({entry.kind}, key {entry.key!r}) "
            f"has balance_after {entry.balance_after}, but the running sum there is {entry.running}."
        )
    return differences


CHECKS: list[Callable[[], list[str]]] = [wallet_differences]
