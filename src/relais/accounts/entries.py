"""A person as an identity source (LDAP directory, OIDC provider) describes them, mapped to
Relais' fields. No LDAP import here: OIDC works without the `ldap` extra."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from relais.accounts.choices import Role

# Highest role first: a person in several role groups gets the highest.
ROLE_ORDER = (Role.ADMIN, Role.SUPERVISOR, Role.AGENT)


def role_from_groups(groups: Iterable[str], role_groups: dict[str, list[str]]) -> Role | None:
    """The highest role one of whose groups is in `groups` (compared case-insensitively);
    collaborator when none; None when no role group is configured (roles then stay managed
    in Relais)."""
    if not any(role_groups.get(role) for role in ROLE_ORDER):
        return None
    lowered = {group.lower() for group in groups}
    for role in ROLE_ORDER:
        if any(group.lower() in lowered for group in role_groups.get(role, [])):
            return role
    return Role.COLLABORATOR


@dataclass(frozen=True)
class DirectoryEntry:
    """One person as the directory describes them, mapped to Relais' fields."""

    dn: str
    login: str
    email: str
    display_name: str = ""
    department: str = ""
    office: str = ""
    phone: str = ""
    manager_dn: str = ""
    # None: roles are not managed by the directory (no role group configured).
    role: Role | None = None
    groups: frozenset[str] = field(default_factory=frozenset)
    # False for a source that may omit attributes (OIDC claims): an empty value then keeps
    # what Relais has instead of erasing it.
    authoritative: bool = True
