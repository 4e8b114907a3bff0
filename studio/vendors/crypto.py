"""Vendor credentials are stored encrypted (Fernet: AES-128-CBC + HMAC-SHA256, from `cryptography`).

Keys come from CREDENTIALS_ENCRYPTION_KEYS (comma-separated; the first encrypts, all decrypt, which
is how a key is rotated). A missing key with DEBUG=0 stops start-up (see settings).
"""

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class DecryptionFailed(ValueError):
    """None of the configured keys opens the stored value (a key was dropped too early)."""


class KeysNotForThisAddress(DecryptionFailed):
    """The keys were saved for another address (or signing scheme) than the account has now: they are never
    sent there. Whoever changed the address must type the keys again."""


def _keys() -> list[bytes]:
    if settings.CREDENTIALS_ENCRYPTION_KEYS:
        return [key.encode() for key in settings.CREDENTIALS_ENCRYPTION_KEYS]
    # Development only (settings refuse this with DEBUG=0): a key derived from the secret key.
    return [base64.urlsafe_b64encode(hashlib.sha256(f"credentials:{settings.SECRET_KEY}".encode()).digest())]


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in _keys()])


def encrypt_credentials(values: dict[str, str]) -> str:
    return _fernet().encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def decrypt_credentials(token: str) -> dict[str, str]:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken:
        raise DecryptionFailed("the credentials cannot be decrypted with the configured keys") from None


def reencrypt(token: str) -> str:
    """With a new key first in the list, re-encrypts a stored value under it (key rotation)."""
    return _fernet().rotate(token.encode()).decode() if token else token
