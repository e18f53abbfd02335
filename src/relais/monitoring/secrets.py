"""Secrets of checks and alert channels, encrypted at rest (Fernet).

The key comes from RELAIS_MONITORING_SECRET_KEY when set (so it can be rotated apart from
SECRET_KEY), otherwise it is derived from SECRET_KEY. Decrypted values only ever go to the
prober and the webhook sender; no page or API response shows them back.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    material = settings.MONITORING_SECRET_KEY or settings.SECRET_KEY
    digest = hashlib.sha256(b"relais.monitoring.secrets:" + material.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(value: dict[str, Any] | str) -> str:
    raw = json.dumps(value) if isinstance(value, dict) else value
    return _fernet().encrypt(raw.encode()).decode()


def decrypt_text(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
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
