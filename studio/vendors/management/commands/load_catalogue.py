from django.core.management.base import BaseCommand, CommandError

from studio.vendors.models import VendorAccount
from studio.vendors.services import offerings_load


class Command(BaseCommand):
    help = "Creates the offerings (models × operations, default prices) of every vendor account, or of one."

    def add_arguments(self, parser):
        parser.add_argument("--account", help="the account's name; default: every account")

    def handle(self, *args, account=None, **options):
        accounts = VendorAccount.objects.all()
        if account:
            accounts = accounts.filter(name=account)
            if not accounts:
                raise CommandError(f"No vendor account is called {account!r}.")
        for vendor_account in accounts:
            created = offerings_load(account=vendor_account)
            self.stdout.write(f"{vendor_account}: {len(created)} offerings added")
