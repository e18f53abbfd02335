"""Every HTML page of every role passes axe-core with no serious or critical violation
(issue 12, RGAA): the pages are read from the URL resolver (`site_map`), filled with the
objects of a seeded organisation, and visited in one browser, one context per role.

The HTML does not depend on the database: the full page × role sweep runs on SQLite; on
PostgreSQL (the second half of `make test`) a sample does, the public pages and one role
(`RELAIS_AXE_ROLES`, default "agent"; "all" for the full sweep)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from playwright.sync_api import Browser, Page

from relais.accounts.models import User
from relais.core.demo import DEMO_PASSWORD
from tests.e2e import site_map
from tests.e2e.conftest import axe_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROLE_LOGINS = {
    "collaborator": "collaborateur@relais.test",
    "agent": "agent@relais.test",
    "supervisor": "superviseur@relais.test",
    "admin": "admin@relais.test",
}


def roles_to_audit() -> dict[str, str]:
    """Every role on SQLite; on PostgreSQL the sample RELAIS_AXE_ROLES names."""
    wanted = os.environ.get("RELAIS_AXE_ROLES", "all" if connection.vendor == "sqlite" else "agent")
    if wanted == "all":
        return ROLE_LOGINS
    return {role: ROLE_LOGINS[role] for role in wanted.split(",")}


# Pages anyone may open without an account, audited once, signed out.
PUBLIC_PAGES = {
    "core:accessibility",
    "accounts:login",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    "monitoring:public",
    "monitoring:subscribe",
    "monitoring:confirm",
    "monitoring:unsubscribe",
}
# Django's admin, the administrators' back-office for reference data.
BACK_OFFICE = [
    "/django-admin/",
    "/django-admin/tickets/category/",
    "/django-admin/tickets/category/1/change/",
]
MISSING = "/cette-page-n-existe-pas/"


def test_every_route_is_mapped_to_a_page_or_has_a_reason():
    """A new route with parameters must be given objects in `site_map.KWARGS` (so the test
    below opens it) or a reason in `site_map.NOT_PAGES`."""
    assert site_map.unmapped_routes() == []
    names = {route.name for route in site_map.routes()}
    assert set(site_map.NOT_PAGES) <= names
    assert set(site_map.KWARGS) <= names
    assert names >= PUBLIC_PAGES


def _log_in(page: Page, email: str) -> None:
    page.goto("/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill("not the password")
    page.get_by_role("button", name="Se connecter").click()
    # The refused login re-renders the form with its error: audited too.
    problems = axe_violations(page)
    assert problems == [], f"login form with an error:\n{problems}"
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/")


class Audit:
    """Visits pages in one browser context and collects axe violations, auditing each final
    URL once and one error page per status (403, 404): the other refusals are the same
    page. A refusal is recognised in-process first (Django's test client, as the same
    person), so the browser opens only the pages it has to audit."""

    def __init__(self, page: Page, who: str, user: User | None) -> None:
        self.page = page
        self.who = who
        self.client = Client()
        if user is not None:
            self.client.force_login(user)
        self.seen: set[str] = set()
        self.reached: set[str] = set()
        self.problems: list[str] = []

    def visit(self, name: str, path: str) -> None:
        refused = self.client.get(path).status_code
        if refused in (403, 404) and f"error {refused}" in self.seen:
            return
        response = self.page.goto(path)
        status = response.status if response is not None else 0
        if status >= 500:
            self.problems.append(f"{self.who} {path}: HTTP {status}")
            return
        key = f"error {status}" if status in (403, 404) else self.page.url
        if status == 200:
            self.reached.add(name)
        if key in self.seen:
            return
        self.seen.add(key)
        self.problems += [f"{self.who} {path}: {line}" for line in axe_violations(self.page)]


def test_every_page_of_every_role_passes_axe(browser: Browser, live_server: Any):
    site_map.seed_site()
    problems: list[str] = []
    reached: dict[str, set[str]] = {}

    def context_page() -> Page:
        context = browser.new_context(base_url=live_server.url, locale="fr-FR")
        context.set_default_timeout(20_000)
        return context.new_page()

    # Signed out: the public pages, and the 404 page.
    page = context_page()
    admin = User.objects.get(email=ROLE_LOGINS["admin"])
    audit = Audit(page, "anonymous", None)
    for name, path in site_map.pages_for(admin):
        if name in PUBLIC_PAGES:
            audit.visit(name, path)
    audit.visit("missing", MISSING)
    problems += audit.problems
    reached["anonymous"] = audit.reached
    page.context.close()

    roles = roles_to_audit()
    for role, email in roles.items():
        page = context_page()
        _log_in(page, email)
        user = User.objects.get(email=email)
        audit = Audit(page, role, user)
        for name, path in site_map.pages_for(user):
            if name not in PUBLIC_PAGES:
                audit.visit(name, path)
        if role == "admin":
            for path in BACK_OFFICE:
                audit.visit("django-admin", path)
        audit.visit("missing", MISSING)
        problems += audit.problems
        reached[role] = audit.reached
        page.context.close()

    assert problems == [], "\n".join(problems)
    # The fixture gives every page something to show: the administrator, who may open
    # everything, reached each route, and anonymous visitors each public page.
    assert reached["anonymous"] == PUBLIC_PAGES
    every_page = {name for name, _path in site_map.pages_for(admin)}
    minimum = {"collaborator": 20, "agent": 40}
    for role in roles:
        if role == "admin":
            assert every_page - PUBLIC_PAGES - reached["admin"] == set()
            assert "django-admin" in reached["admin"]
        else:
            assert len(reached[role]) >= minimum.get(role, 1), role
