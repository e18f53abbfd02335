"""The RGAA accessibility statement: public, French first with English available, linked
from the footer of every page, and honest about what was tested."""

from __future__ import annotations

import re
from pathlib import Path

import axe_playwright_python
import pytest
from django.test import Client
from django.urls import reverse

from relais.core.views import AXE_CORE_VERSION
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

URL = "/accessibilite/"


def test_anyone_reads_the_statement_in_french():
    page = Client().get(URL)

    assert page.status_code == 200
    text = page.content.decode()
    assert "<h1>Déclaration d’accessibilité</h1>" in text
    # What the RGAA asks a statement to hold: status, tests, known gaps, contact, recourse.
    for heading in (
        "État de conformité",
        "Ce qui a été vérifié",
        "Contenus non accessibles connus",
        "Retour d’information et contact",
        "Voies de recours",
    ):
        assert f">{heading}</h2>" in text
    assert "Relais est <strong>non conforme</strong>" in text
    assert f"axe-core {AXE_CORE_VERSION}" in text
    assert "Défenseur des droits" in text
    assert 'href="https://formulaire.defenseurdesdroits.fr/"' in text
    assert 'href="mailto:relais@localhost"' in text
    assert "Cette déclaration a été établie le 29 novembre 2026." in text


def test_the_statement_is_available_in_english():
    client = Client()
    client.post(reverse("accounts:language"), {"language": "en", "next": URL})

    text = client.get(URL).content.decode()
    assert '<html lang="en">' in text
    assert "<h1>Accessibility statement</h1>" in text
    assert "Relais is <strong>not compliant</strong>" in text


def test_the_contact_address_is_configurable(settings):
    settings.ACCESSIBILITY_CONTACT = "accessibilite@bailleur.example"

    text = Client().get(URL).content.decode()
    assert 'href="mailto:accessibilite@bailleur.example"' in text


def test_every_page_links_to_the_statement_with_its_status(collaborator):
    link = f'<a href="{URL}">Accessibilité : non conforme</a>'
    assert link in Client().get(reverse("accounts:login")).content.decode()
    assert link in client_for(collaborator).get(reverse("core:home")).content.decode()
    assert link in client_for(collaborator).get(URL).content.decode()


def test_the_statement_names_the_axe_core_release_the_browser_tests_run():
    script = Path(axe_playwright_python.__file__).with_name("axe.min.js")
    installed = re.match(r"/\*! axe v(\S+)", script.read_text(encoding="utf-8")[:40])
    assert installed is not None
    assert installed.group(1) == AXE_CORE_VERSION
