"""French first, English complete."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from relais.core.management.commands.compiletranslations import catalogue_paths
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_french_catalogues_are_complete():
    paths = catalogue_paths()
    assert Path(settings.LOCALE_PATHS[0]) / "fr/LC_MESSAGES/django.po" in paths
    for path in paths:
        catalogue = polib.pofile(str(path))
        assert catalogue.untranslated_entries() == [], path
        assert catalogue.fuzzy_entries() == [], path


def test_anonymous_visitor_switches_to_english_and_back():
    client = Client()
    login = reverse("accounts:login")
    assert "Mot de passe" in client.get(login).content.decode()
    client.post(reverse("accounts:language"), {"language": "en", "next": login})
    page = client.get(login).content.decode()
    assert '<html lang="en">' in page
    assert "Password" in page


def test_signed_in_person_sees_their_profile_language(collaborator):
    collaborator.language = "en"
    collaborator.save()
    page = client_for(collaborator).get(reverse("core:home")).content.decode()
    assert '<html lang="en">' in page
    assert "Log out" in page


def test_language_switch_updates_the_profile_and_refuses_open_redirects(collaborator):
    client = client_for(collaborator)
    response = client.post(
        reverse("accounts:language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("core:home")
    collaborator.refresh_from_db()
    assert collaborator.language == "en"
