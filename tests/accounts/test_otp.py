"""Second factor (TOTP, django-otp) for the desk when RELAIS_OTP_REQUIRED is on. Codes are
computed with the real RFC 6238 algorithm from the key the enrolment page shows."""

from __future__ import annotations

import base64
import re
import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP, totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from relais.accounts.choices import Role
from relais.accounts.models import User
from relais.accounts.services import otp_enrol_confirm, otp_pending_device, token_create
from relais.core.choices import AuditAction
from relais.core.models import AuditLogEntry
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
HOME = reverse("core:home")
SETUP = reverse("accounts:otp_setup")
VERIFY = reverse("accounts:otp_verify")


@pytest.fixture(autouse=True)
def _otp_on(settings: Any) -> None:
    settings.OTP_REQUIRED = True


def password_login(user: User, password: str) -> Client:
    client = Client()
    response = client.post(LOGIN, {"username": user.email, "password": password})
    assert response.status_code == 302
    return client


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the phone shows now, or `steps_ahead` periods later: a code already accepted
    is never accepted again (django-otp remembers the last time step used), so a test that
    enrols and then signs in within the same 30 seconds uses the next period's code, which
    the server's tolerance of one period accepts."""
    moment = time.time() + steps_ahead * device.step
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=0)
    if steps_ahead:
        oath = TOTP(device.bin_key, device.step, device.t0, device.digits, 0)
        oath.time = moment
        value = oath.token()
    return f"{value:0{device.digits}d}"


def enrolled(user: User) -> tuple[TOTPDevice, list[str]]:
    device = otp_pending_device(user=user)
    return otp_enrol_confirm(user=user, code=code_for(device))


def test_an_agent_enrols_with_a_qr_code_then_gets_recovery_codes(agent, password):
    client = password_login(agent, password)
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(SETUP)
    page = client.get(SETUP)
    html = page.content.decode()
    assert '<img src="data:image/svg+xml' in html  # drawn by Relais, nothing fetched
    secret = re.search(r'data-testid="otp-secret">([A-Z2-7 ]+)<', html)
    assert secret is not None
    device = TOTPDevice.objects.get(user=agent)

    key = secret.group(1).replace(" ", "")
    assert base64.b32decode(key + "=" * (-len(key) % 8)) == device.bin_key

    wrong = client.post(SETUP, {"code": "000000" if code_for(device) != "000000" else "111111"})
    assert wrong.status_code == 400
    assert not TOTPDevice.objects.filter(user=agent, confirmed=True).exists()
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # the next try waits (django-otp throttling)
    device.throttle_reset()

    done = client.post(SETUP, {"code": code_for(device)})
    assert done.status_code == 302
    codes_page = client.get(done["Location"]).content.decode()
    assert len(re.findall(r"<li><code>", codes_page)) == 10
    assert StaticToken.objects.filter(device__user=agent).count() == 10
    assert client.get(HOME).status_code == 200
    assert AuditLogEntry.objects.filter(action=AuditAction.OTP_ENROL, actor=agent).count() == 1
    # Shown once only.
    assert "<li><code>" not in client.get(SETUP).content.decode()


def test_an_enrolled_agent_gives_a_code_after_the_password(agent, password):
    device, _codes = enrolled(agent)
    client = password_login(agent, password)
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next={reverse('accounts:profile')}"
    refused = client.post(VERIFY, {"code": "12345a", "next": reverse("accounts:profile")})
    assert refused.status_code == 400
    assert AuditLogEntry.objects.filter(action=AuditAction.OTP_FAILURE, actor=agent).count() == 1
    assert client.get(HOME).status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    device.throttle_reset()
    ok = client.post(VERIFY, {"code": code_for(device, 1), "next": reverse("accounts:profile")})
    assert ok.status_code == 302
    assert ok["Location"] == reverse("accounts:profile")
    assert client.get(HOME).status_code == 200


def test_a_recovery_code_works_once(supervisor, password):
    _device, codes = enrolled(supervisor)
    first = password_login(supervisor, password)
    assert first.post(VERIFY, {"code": codes[0]}).status_code == 302
    assert first.get(HOME).status_code == 200
    assert AuditLogEntry.objects.filter(action=AuditAction.OTP_RECOVERY_USED).count() == 1
    second = password_login(supervisor, password)
    assert second.post(VERIFY, {"code": codes[0]}).status_code == 400
    assert second.get(HOME).status_code == 302


def test_next_never_leaves_the_site(agent, password):
    device, _codes = enrolled(agent)
    client = password_login(agent, password)
    response = client.post(VERIFY, {"code": code_for(device, 1), "next": "https://evil.example/"})
    assert response["Location"] == HOME


def test_a_local_break_glass_administrator_needs_it_too(admin_user, password):
    client = password_login(admin_user, password)
    assert client.get(reverse("accounts:user_list"))["Location"].startswith(SETUP)


def test_collaborators_are_not_asked(collaborator, password):
    client = password_login(collaborator, password)
    assert client.get(HOME).status_code == 200


def test_nobody_is_asked_when_the_setting_is_off(agent, password, settings):
    settings.OTP_REQUIRED = False
    assert password_login(agent, password).get(HOME).status_code == 200


def test_the_api_refuses_an_unverified_session_but_not_a_token(agent, password):
    client = password_login(agent, password)
    response = client.get("/api/v1/me")
    assert response.status_code == 403
    assert "Second factor required" in response.json()["detail"]
    issued = token_create(user=agent, name="script")
    assert Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}").get("/api/v1/me").status_code == (
        200
    )


def test_an_administrator_resets_a_lost_phone(agent, admin_user, password, settings):
    enrolled(agent)
    settings.OTP_REQUIRED = False  # the administrator's own session is not what is tested
    response = client_for(admin_user).post(reverse("accounts:otp_reset", args=[agent.pk]))
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=agent).exists()
    assert not StaticToken.objects.filter(device__user=agent).exists()
    assert AuditLogEntry.objects.filter(action=AuditAction.OTP_RESET, actor=admin_user).exists()
    settings.OTP_REQUIRED = True
    client = password_login(agent, password)
    assert client.get(HOME)["Location"].startswith(SETUP)


def test_a_refused_reset_changes_nothing(agent, password, settings):
    enrolled(agent)
    settings.OTP_REQUIRED = False
    other = UserFactory(role=Role.SUPERVISOR)
    response = client_for(other).post(reverse("accounts:otp_reset", args=[agent.pk]))
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=agent, confirmed=True).exists()


def test_a_code_is_accepted_only_once(agent, password):
    device, _codes = enrolled(agent)
    code = code_for(device, 1)
    assert password_login(agent, password).post(VERIFY, {"code": code}).status_code == 302
    replay = password_login(agent, password)
    assert replay.post(VERIFY, {"code": code}).status_code == 400
    assert replay.get(HOME).status_code == 302


def test_the_command_line_resets_the_only_administrators_lost_phone(admin_user):
    from io import StringIO

    from django.core.management import CommandError, call_command

    enrolled(admin_user)
    out = StringIO()
    call_command("user", "reset-otp", admin_user.email.upper(), stdout=out)
    assert f"Second factor of {admin_user.email} reset" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=admin_user).exists()
    entry = AuditLogEntry.objects.get(action=AuditAction.OTP_RESET)
    assert entry.actor_label == "cli"
    with pytest.raises(CommandError, match="No user has the e-mail address"):
        call_command("user", "reset-otp", "nobody@relais.test")
