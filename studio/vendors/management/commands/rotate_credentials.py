"""Re-encrypts every stored vendor credential under the first key of CREDENTIALS_ENCRYPTION_KEYS.

Rotation: put the new key first and keep the old one after it (`NEW,OLD`), restart, run this
command, then drop the old key. Until the command has run, the old key must stay: values still
encrypted under it could not be read.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from studio.vendors.crypto import DecryptionFailed, reencrypt
from studio.vendors.models import VendorAccount


class Command(BaseCommand):
    help = "Re-encrypts every vendor credential under the first key of CREDENTIALS_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        rotated = 0
        with transaction.atomic():
            for account in VendorAccount.objects.select_for_update().exclude(credentials_encrypted=""):
                try:
                    account.credentials_encrypted = reencrypt(account.credentials_encrypted)
                except DecryptionFailed:
                    raise CommandError(
                        f"{account.name}: no configured key opens its credentials. Nothing was changed; "
                        "keep the old key in CREDENTIALS_ENCRYPTION_KEYS (after the new one) and run this again."
                    ) from None
                account.save(update_fields=["credentials_encrypted"])
                rotated += 1
        self.stdout.write(f"Re-encrypted the credentials of {rotated} vendor account(s) under the first key.")
