"""Secrets kept in the database (mailbox passwords, check credentials, webhook keys), encrypted.

Values are sealed with Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) under a key
derived with HKDF from `RELAIS_SECRETS_KEY`, or from SECRET_KEY when that is not set. Rotating
the key: put the new one first and the old ones after it in `RELAIS_SECRETS_KEY`
(comma-separated); reading tries each, writing uses the first.

Secrets are write-only in the interface: forms and the API accept a new value and say whether
one is set, never show it back (SECURITY.md).
"""

from __future__ import annotations

import base64
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class SecretUnreadable(Exception):
    """The stored value was sealed with a key this installation no longer has."""


def _derive(material: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"relais-secrets", info=b"fernet-v1"
    ).derive(material.encode())
    return Fernet(base64.urlsafe_b64encode(key))


@cache
def _box(configured: str, fallback: str) -> MultiFernet:
    materials = [m.strip() for m in configured.split(",") if m.strip()] or [fallback]
    return MultiFernet([_derive(m) for m in materials])


def _current() -> MultiFernet:
    return _box(getattr(settings, "RELAIS_SECRETS_KEY", ""), settings.SECRET_KEY)


def seal(value: str) -> str:
    """Encrypt a secret for storage; the empty string stays empty (no secret set)."""
    if not value:
        return ""
    return _current().encrypt(value.encode()).decode()


def unseal(token: str) -> str:
    if not token:
        return ""
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable(
            "a stored secret cannot be decrypted with the configured keys"
        ) from exc
