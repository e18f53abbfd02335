"""An agent enrols an authenticator through the real pages (QR code, key, first code,
recovery codes), then signs in again with password and code. Codes come from the key the
page shows, with the RFC 6238 algorithm, as the phone would compute them."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from relais.accounts.choices import Role
from tests.e2e.conftest import assert_accessible
from tests.factories import PASSWORD, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def phone_code(key_text: str, steps_ahead: int = 0) -> str:
    key = key_text.replace(" ", "")
    oath = TOTP(base64.b32decode(key + "=" * (-len(key) % 8)), 30, 0, 6, 0)
    oath.time = time.time() + 30 * steps_ahead
    return f"{oath.token():06d}"


def password_step(page: Page, email: str) -> None:
    page.goto("/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_an_agent_enrols_then_signs_in_with_a_code(page: Page, settings: Any):
    settings.OTP_REQUIRED = True
    agent = UserFactory(role=Role.AGENT)

    password_step(page, agent.email)
    page.wait_for_url("**/connexion/double-authentification/**")
    expect(page.get_by_role("heading", level=1)).to_have_text("Activer la double authentification")
    expect(page.get_by_role("img", name="QR code à scanner")).to_be_visible()
    assert_accessible(page)
    key = page.get_by_test_id("otp-secret").inner_text()
    page.get_by_label("Code").fill(phone_code(key))
    page.get_by_role("button", name="Confirmer").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Codes de secours")
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    assert_accessible(page)
    page.get_by_role("link", name="Continuer").click()
    page.wait_for_url("**/")

    page.get_by_role("button", name="Se déconnecter").first.click()
    password_step(page, agent.email)
    page.wait_for_url("**/connexion/code/**")
    assert_accessible(page)
    page.get_by_label("Code").fill(phone_code(key, steps_ahead=1))
    page.get_by_role("button", name="Vérifier").click()
    page.wait_for_url("**/")
    expect(page.get_by_role("link", name="Files d’attente").first).to_be_visible()
