"""The asset park in a real browser: an administrator imports a file and follows the progress
bar to the end; a collaborator finds their laptop in "Mon équipement" and in the ticket form.
Every page visited passes axe-core."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from relais.accounts.choices import Role
from relais.assets.choices import AssetKind
from relais.assets.models import Asset, AssetType
from relais.tickets.models import Category
from tests.e2e.conftest import assert_accessible, log_in
from tests.factories import PASSWORD, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_import_then_my_equipment_and_ticket_form(page: Page, browser, tmp_path: Path):  # type: ignore[no-untyped-def]
    # Transactional tests may run after a flush of the seeded reference data: make our own.
    AssetType.objects.get_or_create(
        name="Ordinateur portable", defaults={"kind": AssetKind.LAPTOP, "lendable": True}
    )
    root, _ = Category.objects.get_or_create(name="Poste de travail", parent=None)
    Category.objects.get_or_create(name="Ordinateur", parent=root)
    admin = UserFactory(role=Role.ADMIN, display_name="Alex Admin")
    collaborator = UserFactory(
        role=Role.COLLABORATOR, display_name="Camille Martin", email="camille.martin@relais.test"
    )

    # The administrator imports an Excel CSV (Windows-1252, semicolons).
    lines = ["étiquette;type;fabricant;modèle;état;utilisateur"]
    lines += [f"PC-{i:04d};Ordinateur portable;Dell;Latitude 5440;En stock;" for i in range(1, 300)]
    lines.append(
        "PC-CAMILLE;Ordinateur portable;Dell;Latitude 5440;Attribué;camille.martin@relais.test"
    )
    csv_file = tmp_path / "parc.csv"
    csv_file.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    log_in(page, admin.email, PASSWORD)
    page.goto("/parc/import/")
    assert_accessible(page)
    page.get_by_label("Fichier CSV ou Excel").set_input_files(str(csv_file))
    page.get_by_label("Essai à blanc : vérifier le fichier sans importer").uncheck()
    page.get_by_role("button", name="Envoyer").click()
    bar = page.locator("#import-bar")
    expect(bar).to_have_attribute("value", "100")
    expect(page.get_by_text("300 équipements importés.")).to_be_visible()
    assert_accessible(page)
    assert Asset.objects.count() == 300

    # The collaborator sees their laptop in "Mon équipement" and in the ticket form.
    mine = browser.new_context(base_url=page.url.split("/parc")[0], locale="fr-FR").new_page()
    log_in(mine, collaborator.email, PASSWORD)
    mine.get_by_role("link", name="Mon équipement").first.click()
    expect(mine.locator("#my-assets")).to_contain_text("PC-CAMILLE")
    expect(mine.locator("#my-assets")).to_contain_text("Dell Latitude 5440")
    assert_accessible(mine)
    mine.get_by_role("link", name="Signaler un problème avec mon équipement").click()
    mine.get_by_label("Ordinateur", exact=True).check()
    mine.get_by_role("button", name="Continuer").click()
    choice = mine.get_by_label("Équipement concerné (facultatif)")
    expect(choice).to_contain_text("PC-CAMILLE")
    assert_accessible(mine)
