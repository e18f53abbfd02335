"""Secrets of checks and alert channels, encrypted at rest with the project's secret box
(`relais.core.secrets`: Fernet, key from RELAIS_SECRETS_KEY or derived from SECRET_KEY).
Decrypted values only ever go to the prober and the webhook sender; no page or API response
shows them back.
"""

from __future__ import annotations

import json
from typing import Any

from relais.core.secrets import SecretUnreadable, seal, unseal


def encrypt(value: dict[str, Any] | str) -> str:
    return seal(json.dumps(value) if isinstance(value, dict) else value)


def decrypt_text(token: str) -> str:
    try:
        return unseal(token)
    except SecretUnreadable:
        return ""


def decrypt_json(token: str) -> dict[str, Any]:
    text = decrypt_text(token)
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
