"""`relais user add` and `relais token add`: what they print, and clear refusals."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from relais.accounts.choices import Role, TokenScope
from relais.accounts.models import ApiToken, User
from relais.accounts.services import token_authenticate

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_user_add_creates_the_user_and_says_so():
    output = run(
        "user",
        "add",
        "Nadia.Benali@relais.test",
        "--role",
        "admin",
        "--name",
        "Nadia Benali",
        "--password",
        "un-mot-de-passe-solide",
    )
    user = User.objects.get(email="nadia.benali@relais.test")
    assert user.role == Role.ADMIN
    assert user.display_name == "Nadia Benali"
    assert user.check_password("un-mot-de-passe-solide")
    assert (
        f"Created user #{user.pk} nadia.benali@relais.test (Administrator) with a password."
        in output
    )


def test_user_add_without_password_makes_an_account_that_needs_a_reset():
    run("user", "add", "camille@relais.test")
    user = User.objects.get(email="camille@relais.test")
    assert user.role == Role.COLLABORATOR
    assert not user.has_usable_password()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["not-an-email"], "Enter a valid e-mail address."),
        (["a@relais.test", "--password", "123"], "This password is too short"),
    ],
)
def test_user_add_refuses_bad_input_with_a_sentence(args, message):
    with pytest.raises(CommandError, match=message):
        run("user", "add", *args)
    assert not User.objects.exists()


def test_user_add_refuses_a_duplicate():
    run("user", "add", "camille@relais.test")
    with pytest.raises(CommandError, match="already exists"):
        run("user", "add", "CAMILLE@relais.test")
    assert User.objects.count() == 1


def test_token_add_prints_the_token_once_and_it_works():
    run("user", "add", "agent@relais.test", "--role", "agent")
    output = run("token", "add", "agent@relais.test", "--write", "--days", "7")
    secret = output.strip().splitlines()[-1]
    token = token_authenticate(secret=secret)
    assert token is not None
    assert token.scope == TokenScope.WRITE
    assert "read and write token" in output


def test_token_add_refuses_unknown_users_and_bad_durations():
    with pytest.raises(CommandError, match="No user has the e-mail address"):
        run("token", "add", "ghost@relais.test")
    run("user", "add", "agent@relais.test", "--role", "agent")
    with pytest.raises(CommandError, match="between 1 and 366 days"):
        run("token", "add", "agent@relais.test", "--days", "0")
    assert not ApiToken.objects.exists()


def test_bad_input_exits_non_zero_from_the_shell(tmp_path):
    env = {**os.environ, "RELAIS_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "relais", "user", "add", "not-an-email", "--role", "agent"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Enter a valid e-mail address." in result.stderr

    result = subprocess.run(
        [sys.executable, "-m", "relais", "user", "add", "a@relais.test", "--role", "boss"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2
    assert "invalid choice: 'boss'" in result.stderr
