"""Reading the organisation's directory (LDAP / Active Directory): the login backend and the
searches directory-sync makes. Writes go through `relais.accounts.services`.

Needs the optional extra `relais[ldap]` (python-ldap, django-auth-ldap); this module is only
imported when RELAIS_LDAP_URI is set or when directory-sync runs.

Every value typed by a person reaches the directory escaped (filters: escape_filter_chars;
the login name is also checked against LOGIN_PATTERN first), and a login attempt binds with
the person's password exactly once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import ldap
from django.conf import settings
from django.http import HttpRequest
from django_auth_ldap.backend import LDAPBackend, LDAPSettings
from django_auth_ldap.config import LDAPSearch
from ldap.controls import SimplePagedResultsControl
from ldap.filter import escape_filter_chars
from ldap.ldapobject import LDAPObject

from relais.accounts.choices import Role
from relais.accounts.entries import ROLE_ORDER, DirectoryEntry, role_from_groups
from relais.accounts.models import User

logger = logging.getLogger(__name__)

# A Windows logon name or an e-mail address: letters (accented too), digits and . _ - @ +.
# Anything else (*, (, ), \, NUL, commas, equals…) is refused before the directory is asked.
LOGIN_PATTERN = re.compile(r"^[^\W][\w.@+-]{0,149}$")


class DirectoryError(Exception):
    """The directory could not be read (unreachable, refused the bind, bad configuration)."""


def login_acceptable(username: str | None) -> bool:
    return bool(username) and LOGIN_PATTERN.fullmatch(username or "") is not None


def password_acceptable(password: str | None) -> bool:
    """Empty, blank or NUL-bearing passwords would be an anonymous ("unauthenticated") bind
    to many servers, which succeeds: they never reach the directory."""
    if not password:
        return False
    return bool(password.strip()) and "\x00" not in password


def _first(attrs: dict[str, list[Any]], name: str) -> str:
    if not name:
        return ""
    for key, values in attrs.items():
        if key.lower() == name.lower() and values:
            value = values[0]
            return (value.decode("utf-8") if isinstance(value, bytes) else str(value)).strip()
    return ""


def role_groups_configured() -> bool:
    return any(settings.LDAP_ROLE_GROUPS.get(role) for role in ROLE_ORDER)


def role_for(group_dns: set[str]) -> Role | None:
    return role_from_groups(group_dns, settings.LDAP_ROLE_GROUPS)


def entry_from_attrs(dn: str, attrs: dict[str, list[Any]], group_dns: set[str]) -> DirectoryEntry:
    names = settings.LDAP_ATTRIBUTES
    return DirectoryEntry(
        dn=dn,
        login=_first(attrs, names["login"]).lower(),
        email=_first(attrs, names["email"]).lower(),
        display_name=_first(attrs, names["display_name"]),
        department=_first(attrs, names["department"]),
        office=_first(attrs, names["office"]),
        phone=_first(attrs, names["phone"])[:32],
        manager_dn=_first(attrs, names["manager"]),
        role=role_for(group_dns),
        groups=frozenset(dn.lower() for dn in group_dns),
    )


def _attribute_list() -> list[str]:
    return [name for name in settings.LDAP_ATTRIBUTES.values() if name]


def _connection_options() -> dict[int, Any]:
    options: dict[int, Any] = {
        ldap.OPT_REFERRALS: 0,
        ldap.OPT_NETWORK_TIMEOUT: settings.LDAP_TIMEOUT,
        ldap.OPT_TIMEOUT: settings.LDAP_TIMEOUT,
        ldap.OPT_X_TLS_REQUIRE_CERT: ldap.OPT_X_TLS_DEMAND,
    }
    if settings.LDAP_CA_FILE:
        options[ldap.OPT_X_TLS_CACERTFILE] = settings.LDAP_CA_FILE
    # Must come last: applies the TLS options above to this connection's context.
    options[ldap.OPT_X_TLS_NEWCTX] = 0
    return options


def connect() -> LDAPObject:
    """A connection bound as the service account (for directory-sync)."""
    if not settings.LDAP_ENABLED:
        raise DirectoryError("The directory is not configured (RELAIS_LDAP_URI is empty).")
    try:
        conn = ldap.initialize(" ".join(settings.LDAP_URIS), bytes_mode=False)
        for option, value in _connection_options().items():
            conn.set_option(option, value)
        if settings.LDAP_START_TLS:
            conn.start_tls_s()
        conn.simple_bind_s(settings.LDAP_BIND_DN, settings.LDAP_BIND_PASSWORD)
    except ldap.LDAPError as exc:
        raise DirectoryError(f"Could not connect to the directory: {_describe(exc)}") from exc
    return conn


def _describe(exc: ldap.LDAPError) -> str:
    info = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
    return str(info.get("desc") or exc.__class__.__name__)


def paged_search(
    conn: LDAPObject, base: str, filterstr: str, attrlist: list[str] | None
) -> Iterator[tuple[str, dict[str, list[bytes]]]]:
    """Every entry matching, read page by page (RFC 2696 paged results), so that a directory
    of tens of thousands of people is read whatever the server's size limit."""
    control = SimplePagedResultsControl(True, size=settings.LDAP_PAGE_SIZE, cookie="")
    while True:
        try:
            msgid = conn.search_ext(
                base, ldap.SCOPE_SUBTREE, filterstr, attrlist, serverctrls=[control]
            )
            _type, data, _msgid, controls = conn.result3(msgid)
        except ldap.LDAPError as exc:
            raise DirectoryError(f"The directory search failed: {_describe(exc)}") from exc
        for dn, attrs in data:
            if dn:  # skip search references
                yield dn, attrs
        cookies = [
            c.cookie for c in controls if c.controlType == SimplePagedResultsControl.controlType
        ]
        if not cookies or not cookies[0]:
            return
        control.cookie = cookies[0]


def role_group_members(conn: LDAPObject) -> dict[str, set[str]]:
    """For directory-sync: group DN → every person DN inside it, nested groups expanded.
    All groups are read once (paged) and the nesting is resolved in memory."""
    if not role_groups_configured():
        return {}
    base = settings.LDAP_GROUP_BASE or settings.LDAP_USER_BASE
    members: dict[str, set[str]] = {}
    for dn, attrs in paged_search(conn, base, settings.LDAP_GROUP_FILTER, ["member"]):
        members[dn.lower()] = {
            (v.decode() if isinstance(v, bytes) else v).lower()
            for key, values in attrs.items()
            if key.lower() == "member"
            for v in values
        }
    expanded: dict[str, set[str]] = {}
    for role in ROLE_ORDER:
        for group in settings.LDAP_ROLE_GROUPS.get(role, []):
            seen: set[str] = set()
            people: set[str] = set()
            stack = [group.lower()]
            while stack:
                current = stack.pop()
                if current in seen:
                    continue  # a loop of groups
                seen.add(current)
                for member in members.get(current, set()):
                    if member in members:
                        stack.append(member)
                    else:
                        people.add(member)
            expanded[group.lower()] = people
    return expanded


def groups_of(conn: LDAPObject, dn: str, max_depth: int = 8) -> set[str]:
    """At login: the groups holding `dn`, directly or through nested groups."""
    if not role_groups_configured():
        return set()
    base = settings.LDAP_GROUP_BASE or settings.LDAP_USER_BASE
    found: set[str] = set()
    frontier = {dn}
    for _depth in range(max_depth):
        clauses = "".join(f"(member={escape_filter_chars(item)})" for item in sorted(frontier))
        filterstr = f"(&{settings.LDAP_GROUP_FILTER}(|{clauses}))"
        new = {group.lower() for group, _attrs in paged_search(conn, base, filterstr, ["1.1"])}
        frontier = new - found
        if not frontier:
            break
        found |= frontier
    return found


def iter_people(conn: LDAPObject) -> Iterator[DirectoryEntry]:
    """For directory-sync: every person the sync filter selects, mapped."""
    groups = role_group_members(conn)
    for dn, attrs in paged_search(
        conn, settings.LDAP_USER_BASE, settings.LDAP_SYNC_FILTER, _attribute_list()
    ):
        group_dns = {group for group, people in groups.items() if dn.lower() in people}
        yield entry_from_attrs(dn, attrs, group_dns)


class DirectoryBackend(LDAPBackend):
    """django-auth-ldap, configured from Relais' settings, creating and updating the person
    through `services.directory_user_apply` (the same mapping as directory-sync)."""

    @property
    def settings(self) -> LDAPSettings:
        if self._settings is None:
            self._settings: LDAPSettings | None = LDAPSettings(
                self.settings_prefix,
                {
                    "SERVER_URI": " ".join(settings.LDAP_URIS),
                    "BIND_DN": settings.LDAP_BIND_DN,
                    "BIND_PASSWORD": settings.LDAP_BIND_PASSWORD,
                    "START_TLS": settings.LDAP_START_TLS,
                    "CONNECTION_OPTIONS": _connection_options(),
                    "USER_SEARCH": LDAPSearch(
                        settings.LDAP_USER_BASE,
                        ldap.SCOPE_SUBTREE,
                        settings.LDAP_USER_FILTER,
                        _attribute_list(),
                    ),
                    "BIND_AS_AUTHENTICATING_USER": True,
                    "PERMIT_EMPTY_PASSWORD": False,
                    "ALWAYS_UPDATE_USER": False,
                    "CACHE_TIMEOUT": 0,
                },
            )
        return self._settings

    @settings.setter
    def settings(self, value: LDAPSettings) -> None:
        self._settings = value

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not settings.LDAP_ENABLED:
            return None
        username = (username or "").strip()
        # Refused before any connection: nothing reaches the directory.
        if not login_acceptable(username) or not password_acceptable(password):
            return None
        user = super().authenticate(request, username=username, password=password)
        if user is not None and not user.is_active:
            return None
        return user

    def get_user(self, user_id: int) -> User | None:
        # django-auth-ldap's own get_user does not look at is_active: a leaver's session
        # must stop at their next request, as with Django's ModelBackend.
        user = User.objects.filter(pk=user_id, is_active=True).first()
        return user

    def get_or_build_user(self, username: str, ldap_user: Any) -> tuple[User, bool]:
        from relais.accounts import services

        entry = entry_from_attrs(
            ldap_user.dn, ldap_user.attrs or {}, groups_of(ldap_user.connection, ldap_user.dn)
        )
        if not entry.login:
            entry = DirectoryEntry(**{**entry.__dict__, "login": username.lower()})
        result = services.directory_user_apply(entry=entry, request=ldap_user._request)
        if result.user is None:
            raise ldap_user.AuthenticationFailed(result.error)
        return result.user, False


def sync(*, dry_run: bool = False, force: bool = False) -> Any:
    """directory-sync: read everyone (paged) and apply it; returns the report."""
    from relais.accounts import services

    conn = connect()
    try:
        return services.directory_sync(entries=iter_people(conn), dry_run=dry_run, force=force)
    finally:
        conn.unbind_s()
