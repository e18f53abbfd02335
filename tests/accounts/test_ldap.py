"""Logging in with the directory (a real OpenLDAP, Active-Directory-shaped): mapping of the
person's attributes and groups, refusals before any bind, break-glass local accounts."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from relais.accounts.choices import OrgUnitKind, Role
from relais.accounts.models import ApiToken, OrgUnit, User
from relais.accounts.services import token_create, user_create, user_deactivate
from relais.core.choices import AuditAction
from relais.core.models import AuditLogEntry
from tests.slapd import PEOPLE, Slapd

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
HOME = reverse("core:home")


def login(client: Client, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post(LOGIN, {"username": username, "password": password})


def test_a_directory_user_logs_in_with_their_windows_account_and_is_mapped(directory: Slapd):
    jerome = directory.by_login["jdupont"]
    client = Client()
    response = login(client, "jdupont", jerome.password)
    assert response.status_code == 302
    assert response["Location"] == HOME
    user = User.objects.get(directory_login="jdupont")
    assert user.email == "jerome.dupont@relais.test"
    assert user.display_name == "Jérôme Dupont-Lefèvre"
    assert user.phone == "+33 4 66 00 00 02"
    assert user.org_unit is not None
    assert user.org_unit.name == "Direction de la clientèle"
    assert user.org_unit.kind == OrgUnitKind.DIRECTION
    assert user.site is not None and user.site.name == "Agence de Nîmes"
    assert user.role == Role.COLLABORATOR
    assert user.directory_dn == f"uid=jdupont,{PEOPLE}"
    assert not user.has_usable_password()
    assert client.get(HOME).status_code == 200
    assert AuditLogEntry.objects.filter(action=AuditAction.USER_CREATE, object_id=str(user.pk))


def test_the_manager_is_linked_once_known(directory: Slapd):
    assert login(Client(), "mbernard", directory.by_login["mbernard"].password).status_code == 302
    assert login(Client(), "jdupont", directory.by_login["jdupont"].password).status_code == 302
    jerome = User.objects.get(directory_login="jdupont")
    assert jerome.manager == User.objects.get(directory_login="mbernard")


@pytest.mark.parametrize(
    ("login_name", "role"),
    [
        ("aagent", Role.AGENT),  # through support-n1, nested inside relais-agents
        ("ssuper", Role.SUPERVISOR),
        ("aadmin", Role.ADMIN),
        ("jdupont", Role.COLLABORATOR),
    ],
)
def test_groups_map_to_roles_including_nested_groups(directory: Slapd, login_name, role):
    assert login(Client(), login_name, directory.by_login[login_name].password).status_code == 302
    assert User.objects.get(directory_login=login_name).role == role


def test_the_directory_role_wins_at_the_next_login(directory: Slapd):
    login(Client(), "aagent", directory.by_login["aagent"].password)
    User.objects.filter(directory_login="aagent").update(role=Role.ADMIN)
    login(Client(), "aagent", directory.by_login["aagent"].password)
    assert User.objects.get(directory_login="aagent").role == Role.AGENT
    assert AuditLogEntry.objects.filter(action=AuditAction.ROLE_CHANGE).count() == 1


def test_one_bind_with_the_persons_password_per_attempt(directory: Slapd):
    dn = directory.by_login["mbernard"].dn
    before = directory.binds(dn)
    assert login(Client(), "mbernard", directory.by_login["mbernard"].password).status_code == 302
    assert directory.binds(dn) == before + 1
    assert login(Client(), "mbernard", "wrong-password").status_code == 200
    assert directory.binds(dn) == before + 2


def test_a_wrong_password_is_refused(directory: Slapd):
    response = login(Client(), "jdupont", "not-the-password")
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect" in response.content.decode()
    assert not User.objects.filter(directory_login="jdupont").exists()
    assert AuditLogEntry.objects.filter(action=AuditAction.LOGIN_FAILURE).count() == 1


@pytest.mark.parametrize("password", ["", " ", "   \t", "\x00", "\x00Jérôme-Pass-2024"])
def test_empty_blank_or_nul_passwords_never_reach_the_directory(directory: Slapd, password):
    before = directory.all_binds()
    response = login(Client(), "jdupont", password)
    assert response.status_code in (200, 400)
    assert "_auth_user_id" not in Client().session
    assert directory.all_binds() == before
    assert not User.objects.filter(directory_login="jdupont").exists()


@pytest.mark.parametrize(
    "username",
    [
        "*",
        "jdup*",
        "jdupont)(uid=*",
        "*)(|(sAMAccountName=*",
        "jdupont\\2a",
        "jdupont\x00",
        "uid=jdupont,ou=people",
        "(jdupont)",
    ],
)
def test_injection_shaped_user_names_are_refused_before_the_directory(directory: Slapd, username):
    before = directory.all_binds()
    response = login(Client(), username, directory.by_login["jdupont"].password)
    assert response.status_code in (200, 400)
    assert directory.all_binds() == before
    assert not User.objects.filter(directory_login__isnull=False).exists()


def test_a_disabled_directory_account_cannot_log_in(directory: Slapd):
    response = login(Client(), "dleaver", directory.by_login["dleaver"].password)
    assert response.status_code == 200
    assert not User.objects.filter(directory_login="dleaver").exists()


def test_local_break_glass_accounts_keep_working_with_the_directory_on(directory: Slapd):
    user_create(email="secours@relais.test", role=Role.ADMIN, password="Secours-local-2024!")
    response = login(Client(), "secours@relais.test", "Secours-local-2024!")
    assert response.status_code == 302


def test_a_local_account_with_a_password_is_never_taken_over_by_the_directory(directory: Slapd):
    local = user_create(
        email="jerome.dupont@relais.test", role=Role.ADMIN, password="Local-Admin-2024!"
    )
    response = login(Client(), "jdupont", directory.by_login["jdupont"].password)
    assert response.status_code == 200
    local.refresh_from_db()
    assert local.directory_login is None
    assert local.role == Role.ADMIN


def test_an_account_without_a_password_is_linked_by_e_mail(directory: Slapd):
    known = user_create(email="jerome.dupont@relais.test", display_name="J. Dupont")
    assert login(Client(), "jdupont", directory.by_login["jdupont"].password).status_code == 302
    known.refresh_from_db()
    assert known.directory_login == "jdupont"
    assert known.display_name == "Jérôme Dupont-Lefèvre"
    assert User.objects.filter(email__iexact="jerome.dupont@relais.test").count() == 1


def test_a_deactivated_directory_user_is_signed_out_and_their_tokens_stop(directory: Slapd):
    client = Client()
    assert login(client, "jdupont", directory.by_login["jdupont"].password).status_code == 302
    user = User.objects.get(directory_login="jdupont")
    issued = token_create(user=user, name="script")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert api.get("/api/v1/me").status_code == 200
    user_deactivate(user=user, actor=None)
    assert client.get(HOME).status_code == 302  # back to the login page
    assert api.get("/api/v1/me").status_code == 401
    assert ApiToken.objects.get(pk=issued.token.pk).revoked_at is not None
    # And the directory password no longer opens a session either.
    assert login(Client(), "jdupont", directory.by_login["jdupont"].password).status_code == 200


def test_directions_are_reused_not_duplicated(directory: Slapd):
    login(Client(), "mbernard", directory.by_login["mbernard"].password)
    login(Client(), "jdupont", directory.by_login["jdupont"].password)
    assert OrgUnit.objects.filter(name="Direction de la clientèle").count() == 1


def test_directory_users_get_no_password_reset_link(directory: Slapd):
    from relais.core.models import OutboxMessage

    assert login(Client(), "jdupont", directory.by_login["jdupont"].password).status_code == 302
    user_create(email="local@relais.test")
    reset = reverse("accounts:password_reset")
    response = Client().post(reset, {"email": "jerome.dupont@relais.test"})
    assert response.status_code == 302  # the same answer as for any address
    assert OutboxMessage.objects.count() == 0
    Client().post(reset, {"email": "local@relais.test"})
    assert OutboxMessage.objects.count() == 1
