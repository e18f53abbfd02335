"""`relais directory-sync` against a real OpenLDAP holding 1,200+ people, whose server limit
(500 entries per ordinary search) only a paged search gets past."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ldap
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from relais.accounts.choices import Role
from relais.accounts.models import ApiToken, User
from relais.accounts.services import token_create, user_create
from relais.core.choices import AuditAction
from relais.core.models import AuditLogEntry
from relais.tickets.models import Category, Ticket
from relais.tickets.services import TicketDraft, ticket_open
from tests.slapd import PEOPLE, Slapd

pytestmark = pytest.mark.django_db

ENABLED_PEOPLE = 1_205  # 1,200 generated + 5 named; Denis Départ's account is disabled


def sync(*args: str) -> tuple[int, str, str]:
    import io

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("directory-sync", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def restore(directory: Slapd) -> Iterator[list[tuple[str, str, str]]]:
    """Attributes changed by a test, put back afterwards (the server is shared)."""
    changed: list[tuple[str, str, str]] = []
    yield changed
    for login, attribute, value in changed:
        directory.set_attribute(login, attribute, value)


def test_an_ordinary_search_cannot_read_the_whole_directory(directory: Slapd):
    conn = directory.admin()
    conn.unbind_s()
    conn = ldap.initialize(directory.uri)
    conn.simple_bind_s(f"uid=mbernard,{PEOPLE}", directory.by_login["mbernard"].password)
    with pytest.raises(ldap.SIZELIMIT_EXCEEDED):
        conn.search_s(PEOPLE, ldap.SCOPE_SUBTREE, "(objectClass=inetOrgPerson)", ["uid"])


def test_dry_run_reports_and_changes_nothing(directory: Slapd):
    code, out, _err = sync("--dry-run")
    assert code == 0
    assert out.startswith("Dry run — nothing was changed. Would have: ")
    assert f"{ENABLED_PEOPLE} people read from the directory: {ENABLED_PEOPLE} created" in out
    assert not User.objects.exists()
    assert not AuditLogEntry.objects.exists()


def test_sync_creates_everyone_with_their_mapping_then_updates_and_deactivates(
    directory: Slapd, restore: list[tuple[str, str, str]], settings: Any
):
    local_admin = user_create(
        email="secours@relais.test", role=Role.ADMIN, password="Secours-local-2024!"
    )
    code, out, _err = sync()
    assert code == 0, out
    assert f"{ENABLED_PEOPLE} created, 0 updated, 0 reactivated, 0 deactivated" in out
    assert User.objects.filter(directory_login__isnull=False).count() == ENABLED_PEOPLE
    assert not User.objects.filter(directory_login="dleaver").exists()
    jerome = User.objects.select_related("org_unit", "site", "manager").get(
        directory_login="jdupont"
    )
    assert jerome.display_name == "Jérôme Dupont-Lefèvre"
    assert jerome.org_unit is not None and jerome.org_unit.name == "Direction de la clientèle"
    assert jerome.site is not None and jerome.site.name == "Agence de Nîmes"
    assert jerome.manager is not None and jerome.manager.directory_login == "mbernard"
    roles = dict(
        User.objects.filter(directory_login__in=["aagent", "ssuper", "aadmin"]).values_list(
            "directory_login", "role"
        )
    )
    assert roles == {"aagent": Role.AGENT, "ssuper": Role.SUPERVISOR, "aadmin": Role.ADMIN}

    # A second run with nothing new changes nothing.
    code, out, _err = sync()
    assert f"{ENABLED_PEOPLE} people read from the directory: 0 created, 0 updated" in out

    # Marie changes phone number; Jérôme leaves (his account is disabled in the directory).
    restore.append(("mbernard", "telephoneNumber", "+33 4 66 00 00 01"))
    directory.set_attribute("mbernard", "telephoneNumber", "+33 4 66 99 99 99")
    restore.append(("jdupont", "userAccountControl", "512"))
    directory.disable("jdupont")
    category = Category.objects.filter(is_active=True).first()
    assert category is not None
    ticket = ticket_open(
        actor=jerome, draft=TicketDraft(category=category, title="Imprimante", description="HS")
    )
    issued = token_create(user=jerome, name="script")
    client = Client()
    client.force_login(jerome, backend="relais.accounts.directory.DirectoryBackend")
    assert client.get(reverse("core:home")).status_code == 200

    code, out, _err = sync()
    assert code == 0
    assert "0 created, 1 updated, 0 reactivated, 1 deactivated" in out
    assert User.objects.get(directory_login="mbernard").phone == "+33 4 66 99 99 99"
    jerome.refresh_from_db()
    assert not jerome.is_active
    assert Ticket.objects.filter(pk=ticket.pk, requester=jerome).exists()
    assert ApiToken.objects.get(pk=issued.token.pk).revoked_at is not None
    assert client.get(reverse("core:home")).status_code == 302
    api = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert api.get("/api/v1/me").status_code == 401
    assert AuditLogEntry.objects.filter(
        action=AuditAction.USER_DEACTIVATE, object_id=str(jerome.pk)
    ).exists()
    local_admin.refresh_from_db()
    assert local_admin.is_active and local_admin.role == Role.ADMIN

    # He comes back: the next sync reactivates him.
    directory.enable("jdupont")
    code, out, _err = sync()
    assert "1 reactivated" in out
    jerome.refresh_from_db()
    assert jerome.is_active

    # A filter that suddenly selects nobody deactivates nobody without --force.
    settings.LDAP_SYNC_FILTER = "(sAMAccountName=nobody-is-called-this)"
    code, _out, err = sync()
    assert code == 1
    assert f"{ENABLED_PEOPLE} accounts are no longer in the directory" in err
    assert User.objects.filter(is_active=True, directory_login__isnull=False).count() == (
        ENABLED_PEOPLE
    )


def test_the_sync_refuses_clearly_when_the_directory_is_unreachable(directory: Slapd, settings):
    settings.LDAP_URIS = ["ldap://127.0.0.1:1"]
    code, _out, err = sync()
    assert code == 1
    assert err.startswith("Could not connect to the directory:")


def test_the_sync_refuses_a_wrong_service_password(directory: Slapd, settings):
    settings.LDAP_BIND_PASSWORD = "wrong"
    code, _out, err = sync()
    assert code == 1
    assert "Invalid credentials" in err


def test_the_sync_says_so_when_no_directory_is_configured(settings):
    settings.LDAP_ENABLED = False
    code, _out, err = sync()
    assert code == 2
    assert "RELAIS_LDAP_URI" in err
