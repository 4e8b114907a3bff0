import pytest
from cryptography.fernet import Fernet

from studio.vendors.crypto import decrypt_credentials, encrypt_credentials, reencrypt
from studio.vendors.models import VendorAccount


def test_credentials_are_stored_encrypted_and_read_back(db):
    account = VendorAccount(kind="suchuang", name="Suchuang", base_url="https://sc.example.com")
    account.set_credentials({"token": "jwt-very-secret-123"})
    account.save()

    stored = VendorAccount.objects.values_list("credentials_encrypted", flat=True).get()
    assert "jwt-very-secret-123" not in stored
    assert VendorAccount.objects.get().credentials == {"token": "jwt-very-secret-123"}
    assert account.credentials_updated_at is not None


def test_a_rotated_key_still_reads_old_values_and_rewrites_them_under_the_new_key(settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CREDENTIALS_ENCRYPTION_KEYS = [old_key]
    token = encrypt_credentials({"user_key": "k-1"})

    settings.CREDENTIALS_ENCRYPTION_KEYS = [new_key, old_key]
    rotated = reencrypt(token)
    assert decrypt_credentials(token) == {"user_key": "k-1"}

    settings.CREDENTIALS_ENCRYPTION_KEYS = [new_key]
    assert decrypt_credentials(rotated) == {"user_key": "k-1"}
    with pytest.raises(ValueError, match="cannot be decrypted"):
        decrypt_credentials(token)
