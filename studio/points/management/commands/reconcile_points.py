from django.core.management.base import BaseCommand, CommandError

from studio.points import reconcile
from studio.points.models import LedgerEntry, Wallet


class Command(BaseCommand):
    help = "Checks every wallet against its ledger (and whatever other apps add to CHECKS); fails on a difference."

    def handle(self, *args, **options):
        differences = [message for check in reconcile.CHECKS for message in check()]
        if differences:
            for message in differences:
                self.stdout.write(message)
            raise CommandError(f"{len(differences)} difference(s) found.")
        self.stdout.write(
            f"ok: {Wallet.objects.count()} wallets, {LedgerEntry.objects.count()} ledger entries reconcile"
        )
