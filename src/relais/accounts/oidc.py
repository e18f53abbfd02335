"""OpenID Connect single sign-on (authorization code flow with PKCE, mozilla-django-oidc),
mapped like a directory entry through `services.directory_user_apply`.

mozilla-django-oidc does not check the ID token's audience or issuer: `_verify_jws` below
does (aud = our client id, iss = RELAIS_OIDC_ISSUER, exp/iat required)."""

from __future__ import annotations

import logging
from typing import Any

import jwt

# Only its exception type; mozilla-django-oidc calls the endpoints the administrator set.
import requests  # static-ban: allow
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from relais.accounts.entries import DirectoryEntry, role_from_groups
from relais.accounts.models import User

logger = logging.getLogger(__name__)


def _claim(claims: dict[str, Any], name: str) -> str:
    value = claims.get(name) if name else None
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).strip() if value is not None else ""


def entry_from_claims(claims: dict[str, Any]) -> DirectoryEntry:
    names = settings.OIDC_CLAIMS
    groups = claims.get(names["groups"]) or []
    groups = [str(g) for g in groups] if isinstance(groups, list) else [str(groups)]
    return DirectoryEntry(
        dn="",
        login=_claim(claims, names["login"]).lower(),
        email=_claim(claims, names["email"]).lower(),
        display_name=_claim(claims, names["display_name"]),
        department=_claim(claims, names["department"]),
        office=_claim(claims, names["office"]),
        phone=_claim(claims, names["phone"])[:32],
        role=role_from_groups(groups, settings.OIDC_ROLE_GROUPS),
        groups=frozenset(g.lower() for g in groups),
        authoritative=False,
    )


class OidcBackend(OIDCAuthenticationBackend):
    def authenticate(self, request: Any, **kwargs: Any) -> User | None:
        if not settings.OIDC_ENABLED:
            return None
        try:
            user: User | None = super().authenticate(request, **kwargs)
        except (SuspiciousOperation, requests.RequestException) as exc:
            # A refused token or an unreachable provider: the person is sent back to the
            # login page with a message, never shown a server error.
            logger.warning("OIDC sign-in refused: %s", exc)
            return None
        return user

    def _verify_jws(self, payload: str, key: Any) -> dict[str, Any]:
        header = jwt.get_unverified_header(payload)
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation("The ID token's algorithm is not the expected one.")
        try:
            claims: dict[str, Any] = jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.OIDC_ISSUER or None,
                options={"require": ["exp", "iat", "aud", "iss", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise SuspiciousOperation(f"ID token refused: {exc}") from exc
        return claims

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        names = settings.OIDC_CLAIMS
        return bool(_claim(claims, names["login"]) and _claim(claims, names["email"]))

    def get_or_create_user(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> User | None:
        from relais.accounts import services

        claims = {**payload, **self.get_userinfo(access_token, id_token, payload)}
        if claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("The userinfo subject is not the ID token's.")
        if not self.verify_claims(claims):
            raise SuspiciousOperation("The provider gave no login or e-mail address.")
        result = services.directory_user_apply(
            entry=entry_from_claims(claims), request=getattr(self, "request", None)
        )
        if result.user is None or not result.user.is_active:
            return None
        return result.user

    def get_user(self, user_id: int) -> User | None:
        return User.objects.filter(pk=user_id, is_active=True).first()
