"""Stored keys are bound to the address they were saved for (studio/vendors/models.py: credentials), and a
new account stays off until its first working test connection. Existing accounts are in use: their keys
are bound to the address they have now, and they count as verified."""

from django.db import migrations, models
from django.utils import timezone

DESTINATION = "__destination__"


def bind_existing_keys(apps, schema_editor):
    from studio.vendors.crypto import DecryptionFailed, decrypt_credentials, encrypt_credentials

    VendorAccount = apps.get_model("vendors", "VendorAccount")
    for account in VendorAccount.objects.exclude(credentials_encrypted=""):
        try:
            values = decrypt_credentials(account.credentials_encrypted)
        except DecryptionFailed:
            continue  # unreadable now, unreadable later: the console asks for the keys again either way
        signer = account.options.get("signer", "") if isinstance(account.options, dict) else ""
        values.setdefault(DESTINATION, f"{account.base_url.rstrip('/')} {signer}")
        account.credentials_encrypted = encrypt_credentials(values)
        account.save(update_fields=["credentials_encrypted"])
    VendorAccount.objects.update(connection_verified_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("vendors", "0004_engine_claims")]

    operations = [
        migrations.AddField(
            model_name="vendoraccount",
            name="connection_verified_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(bind_existing_keys, migrations.RunPython.noop),
    ]
