"""Asset import: CSV (UTF-8 or Windows-1252, ; , or tab) and XLSX; every problem reported by
line and column in French; nothing written when any line is wrong; dry runs write nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook

from relais.accounts.models import User
from relais.assets import services
from relais.assets.choices import AssetState, ImportState
from relais.assets.models import Asset, AssetEvent, AssetModel, ImportJob
from relais.core.choices import AuditAction
from relais.core.models import AuditLogEntry
from tests.factories import SiteFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = "étiquette;numéro de série;type;fabricant;modèle;état;utilisateur;site;coût;date d'achat"


@pytest.fixture
def people(db: Any) -> dict[str, User]:
    SiteFactory(name="Siège", code="siege")
    return {
        "camille": UserFactory(email="camille.martin@relais.test"),
        "sacha": UserFactory(email="sacha.bernard@relais.test"),
    }


def _run(actor: User, raw: bytes, *, dry_run: bool = False) -> services.ImportResult:
    with translation.override("fr"):
        return services.assets_import(actor=actor, raw=raw, dry_run=dry_run)


def _errors(result: services.ImportResult) -> list[tuple[int, str, str]]:
    return [(e.line, e.column, e.message) for e in result.errors]


def test_an_excel_csv_in_windows_1252_with_semicolons_is_imported(
    admin_user: User, people: dict[str, User]
) -> None:
    text = (
        f"{HEADER}\r\n"
        "PC-0100;5CG001;Ordinateur portable;Dell;Latitude 5440;Attribué;camille.martin@relais.test;"
        "siege;1 049,90;15/03/2024\r\n"
        "PC-0101;5CG002;laptop;Dell;Latitude 5440;en stock;;Siège;;\r\n"
        "YK-0001;;Clé de sécurité / jeton VPN;Yubico;YubiKey 5;Attribué;"
        "sacha.bernard@relais.test;;;\r\n"
    )
    result = _run(admin_user, text.encode("cp1252"))
    assert _errors(result) == []
    assert (result.total, result.created) == (3, 3)
    laptop = Asset.objects.select_related("model", "site").get(tag="PC-0100")
    assert laptop.state == AssetState.ASSIGNED
    assert laptop.assigned_to == people["camille"]
    assert laptop.site is not None and laptop.site.code == "siege"
    assert str(laptop.cost) == "1049.90"
    assert laptop.purchase_date is not None and laptop.purchase_date.isoformat() == "2024-03-15"
    assert str(laptop.model) == "Dell Latitude 5440"
    assert AssetModel.objects.filter(manufacturer="Dell").count() == 1
    assert AssetEvent.objects.filter(kind="imported").count() == 3
    assert AuditLogEntry.objects.filter(action=AuditAction.ASSET_IMPORT).count() == 1


def test_commas_and_utf8_with_bom_are_accepted(admin_user: User, people: dict[str, User]) -> None:
    text = (
        "type,fabricant,modèle,numéro de série\n"
        "Écran,Iiyama,ProLite 24,X1\nÉcran,Iiyama,ProLite 24,X2\n"
    )
    result = _run(admin_user, ("\ufeff" + text).encode("utf-8"))
    assert _errors(result) == []
    assert result.created == 2
    assert sorted(Asset.objects.values_list("serial_number", flat=True)) == ["X1", "X2"]
    assert all(t.startswith("RLS-") for t in Asset.objects.values_list("tag", flat=True))


def test_an_xlsx_workbook_is_imported(admin_user: User, people: dict[str, User]) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Étiquette", "Type", "Fabricant", "Modèle", "État", "Utilisateur"])
    sheet.append(["tab-001", "Tablette", "Samsung", "Galaxy Tab A9", "en stock", None])
    sheet.append(
        [
            "PC-0200",
            "Ordinateur portable",
            "HP",
            "EliteBook 840",
            "attribué",
            "sacha.bernard@relais.test",
        ]
    )
    out = io.BytesIO()
    workbook.save(out)
    result = _run(admin_user, out.getvalue())
    assert _errors(result) == []
    assert set(Asset.objects.values_list("tag", flat=True)) == {"TAB-001", "PC-0200"}


def test_a_dry_run_checks_and_writes_nothing(admin_user: User, people: dict[str, User]) -> None:
    text = f"{HEADER}\nPC-1;S1;Ordinateur portable;Dell;Latitude;;;;;\n"
    result = _run(admin_user, text.encode(), dry_run=True)
    assert (result.total, result.created, result.errors) == (1, 0, [])
    assert not Asset.objects.exists()
    assert not AssetModel.objects.exists()


def test_every_problem_is_reported_and_nothing_is_written(
    admin_user: User, people: dict[str, User], desk: User, laptop_model: AssetModel
) -> None:
    from tests.assets.conftest import make_asset

    make_asset(desk, laptop_model, tag="PC-EXISTE")
    before = Asset.objects.count()
    lines = [
        HEADER,
        "PC-1;S1;Ordinateur portable;Dell;Latitude 5440;;;;;",  # fine
        "PC-1;S2;Ordinateur portable;Dell;Latitude 5440;;;;;",  # duplicate in the file
        "PC-EXISTE;S3;Ordinateur portable;Dell;Latitude 5440;;;;;",  # already in the park
        "PC-4;S4;Ordinateur portable;Dell;Latitude 5440;Attribué;inconnu@relais.test;;;",
        'PC-5;=HYPERLINK("http://x");Ordinateur portable;Dell;Latitude 5440;;;;;',
        "PC-6;S6;Grille-pain;Dell;Latitude 5440;;;;;",
        "PC-7;S7;Ordinateur portable;Dell;Latitude 5440;cassé;;;;",
        "PC-8;S8;Ordinateur portable;Dell;Latitude 5440;;;Lune;douze;31/02/2024",
        "PC-9;S9;Ordinateur portable;Dell;Latitude 5440;Attribué;;;;",
    ]
    result = _run(admin_user, "\n".join(lines).encode())
    assert result.created == 0
    assert _errors(result) == [
        (3, "étiquette", "L'étiquette PC-1 figure déjà ligne 2."),
        (4, "étiquette", "L'étiquette PC-EXISTE est déjà utilisée par un équipement."),
        (5, "utilisateur", "Personne n'a l'adresse e-mail inconnu@relais.test."),
        (6, "numéro de série", "Les formules sont refusées (la cellule commence par « = »)."),
        (7, "type", "Type inconnu « Grille-pain »."),
        (8, "état", "État inconnu « cassé »."),
        (9, "site", "Site inconnu « Lune »."),
        (9, "date d'achat", "« 31/02/2024 » n'est pas une date (JJ/MM/AAAA attendu)."),
        (9, "coût", "« douze » n'est pas un montant."),
        (10, "utilisateur", "L'état « Assigné » demande une personne."),
    ]
    assert Asset.objects.count() == before
    assert not AssetModel.objects.exclude(pk=laptop_model.pk).exists()


def test_one_bad_line_among_ten_thousand_blocks_the_whole_file(
    admin_user: User, people: dict[str, User]
) -> None:
    rows = [HEADER] + [
        f"PC-{i:05d};S{i};Ordinateur portable;Dell;Latitude 5440;;;;;" for i in range(10_000)
    ]
    rows[7_501] = "PC-07500;S;Ordinateur portable;Dell;Latitude 5440;;fantome@relais.test;;;"
    result = _run(admin_user, "\n".join(rows).encode())
    assert result.total == 10_000
    assert _errors(result) == [
        (7_502, "utilisateur", "Personne n'a l'adresse e-mail fantome@relais.test."),
    ]
    assert not Asset.objects.exists()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "type|fabricant|modèle\nÉcran|Iiyama|X\n".encode(),
            "Colonnes manquantes : type, fabricant, modèle. Les colonnes doivent être séparées "
            "par des points-virgules, des virgules ou des tabulations.",
        ),
        (b"\x00\x01\x02binary\x00", "Le fichier n'est pas un fichier texte lisible"),
        (b"type;fabricant;mod\x81le\n", "L'encodage du fichier n'est pas reconnu"),
        (b"", "Le fichier est vide."),
    ],
)
def test_unreadable_files_are_refused_with_a_sentence(
    raw: bytes, expected: str, admin_user: User
) -> None:
    result = _run(admin_user, raw)
    assert len(result.errors) == 1
    assert result.errors[0].line == 0
    assert result.errors[0].message.startswith(expected)
    assert not Asset.objects.exists()


def test_an_import_job_runs_in_the_background_and_reports(
    admin_user: User, people: dict[str, User], django_capture_on_commit_callbacks: Any
) -> None:
    text = (
        f"{HEADER}\nPC-1;S1;Ordinateur portable;Dell;Latitude;;;;;\n"
        "PC-2;S2;Ordinateur portable;Dell;Latitude;;;;;\n"
    )
    upload = SimpleUploadedFile("parc.csv", text.encode("cp1252"), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        job = services.import_job_create(actor=admin_user, upload=upload, dry_run=False)
    job.refresh_from_db()
    assert (job.state, job.total_rows, job.processed_rows, job.created_count, job.percent) == (
        ImportState.DONE,
        2,
        2,
        2,
        100,
    )
    assert Asset.objects.count() == 2
    # Running it again does nothing: the job is no longer waiting.
    assert services.import_job_run(job_id=job.pk) is None
    assert Asset.objects.count() == 2


def test_only_admins_import(desk: User) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.assets_import(actor=desk, raw=b"type;fabricant;modele\n", dry_run=True)
    assert not ImportJob.objects.exists()
