"""The park's pages and API from a user's point of view: filters, exports, labels, import
page, loans and reminders, campaigns, readiness, and the ticket hooks."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from relais.accounts.choices import Role
from relais.accounts.models import User
from relais.assets import services
from relais.assets.choices import AssetState, TargetState
from relais.assets.models import Asset, AssetModel, CampaignTarget, Loan, TicketAsset
from relais.core.services import outbox_deliver_due
from relais.tickets.choices import Priority
from relais.tickets.models import Category, Ticket
from tests.assets.conftest import assign, make_asset
from tests.conftest import api_client_for, client_for
from tests.factories import OrgUnitFactory, SiteFactory, UserFactory
from tests.smtp import SmtpServer

pytestmark = pytest.mark.django_db


# --- List, filters, exports, labels -------------------------------------------------------------


def _fill(desk: User, model: AssetModel, n: int, **fields: Any) -> list[Asset]:
    return [make_asset(desk, model, **fields) for _ in range(n)]


def test_the_list_filters_and_its_query_count_does_not_grow(
    desk: User,
    laptop_model: AssetModel,
    headset_model: AssetModel,
    django_assert_max_num_queries: Any,
) -> None:
    site = SiteFactory(name="Agence Nord")
    _fill(desk, laptop_model, 3, site=site)
    _fill(desk, headset_model, 2)
    client = client_for(desk)
    api = api_client_for(desk)
    client.get(reverse("assets:list"))
    api.get("/api/v1/assets")
    # session, user, types, sites (filter choices), count, page
    with django_assert_max_num_queries(7):
        page = client.get(
            reverse("assets:list"), {"type": laptop_model.asset_type_id, "site": site.pk}
        )
    assert page.context["page"].paginator.count == 3
    _fill(desk, laptop_model, 30, site=site)
    with django_assert_max_num_queries(7):
        page = client.get(reverse("assets:list"), {"type": laptop_model.asset_type_id})
    assert page.context["page"].paginator.count == 33
    with django_assert_max_num_queries(6):
        body = api.get(
            "/api/v1/assets", {"state": "in_stock", "type": headset_model.asset_type_id}
        ).json()
    assert body["count"] == 2
    assert {a["kind"] for a in body["items"]} == {"headset"}


def test_the_api_refuses_unknown_filters(desk: User) -> None:
    response = api_client_for(desk).get(
        "/api/v1/assets", {"assigned_to__password__startswith": "a"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert (
        api_client_for(desk).get("/api/v1/assets", {"ordering": "-id;select 1"}).status_code == 400
    )


def test_exports_neutralise_formulas(desk: User, laptop_model: AssetModel) -> None:
    make_asset(desk, laptop_model, tag="PC-1", notes='=HYPERLINK("http://evil.example","clic")')
    make_asset(desk, laptop_model, tag="PC-2", notes="@SUM(1+1)", serial_number="-2+3")
    client = client_for(desk)
    response = client.get(reverse("assets:export"), {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["étiquette", "numéro de série", "nom d'hôte"]
    notes = {row[0]: row[-1] for row in rows[1:]}
    assert notes == {"PC-1": '\'=HYPERLINK("http://evil.example","clic")', "PC-2": "'@SUM(1+1)"}
    assert [row[1] for row in rows[1:] if row[0] == "PC-2"] == ["'-2+3"]

    xlsx = client.get(reverse("assets:export"), {"format": "xlsx", "q": "PC-1"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(values) == 2
    assert values[1][-1] == '\'=HYPERLINK("http://evil.example","clic")'
    assert sheet.cell(row=2, column=16).data_type == "s"


def test_the_label_sheet_has_a_qr_code_per_asset(desk: User, laptop_model: AssetModel) -> None:
    assets = _fill(desk, laptop_model, 3)
    page = client_for(desk).get(reverse("assets:labels"))
    html = page.content.decode()
    assert html.count("data:image/svg+xml") == 3
    for asset in assets:
        assert asset.tag in html
    import segno

    expected = segno.make(f"http://testserver{assets[0].get_absolute_url()}", error="m")
    assert expected.designator  # the QR points at the asset page (see settings.SITE_URL)


# --- Import page --------------------------------------------------------------------------------


def test_the_import_page_runs_a_file_and_shows_the_result(
    admin_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(admin_user)
    text = (
        "type;fabricant;modèle;numéro de série\n"
        "Ordinateur portable;Dell;Latitude;A1\nOrdinateur portable;Dell;Latitude;A2\n"
    )
    upload = SimpleUploadedFile("parc.csv", text.encode("cp1252"), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("assets:import"), {"file": upload})
    assert response.status_code == 302
    status = client.get(response["Location"] + "?format=json").json()
    assert status == {"state": "done", "percent": 100, "processed": 2, "total": 2, "finished": True}
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="fr")
    assert "2 équipements importés." in page.content.decode()
    assert Asset.objects.count() == 2


def test_the_import_page_lists_errors_and_imports_nothing(
    admin_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(admin_user)
    text = "type;fabricant;modèle\nOrdinateur portable;Dell;Latitude\nFrigo;Dell;Latitude\n"
    upload = SimpleUploadedFile("parc.csv", text.encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("assets:import"), {"file": upload})
    page = client.get(response["Location"]).content.decode()
    assert "Type inconnu « Frigo »." in page
    assert "rien n'a été importé" in page
    assert not Asset.objects.exists()


# --- Loans --------------------------------------------------------------------------------------


def test_lend_remind_and_check_in(
    desk: User, headset_model: AssetModel, smtp_server: SmtpServer
) -> None:
    borrower = UserFactory(
        email="dominique.petit@relais.test", display_name="Dominique Petit", language="fr"
    )
    headset = make_asset(desk, headset_model, tag="CASQUE-1")
    today = timezone.localdate()
    response = client_for(desk).post(
        reverse("assets:lend", args=[headset.pk]),
        {
            "borrower": borrower.email,
            "due_on": (today + timedelta(days=2)).isoformat(),
            "reason": "Réunion",
        },
    )
    assert response.status_code == 302
    loan = Loan.objects.get(asset=headset)
    headset.refresh_from_db()
    assert (headset.state, headset.assigned_to) == (AssetState.ON_LOAN, borrower)

    # Two days before the due date, once; overdue, every few days.
    assert services.loans_send_reminders(today=today) == 1
    assert services.loans_send_reminders(today=today) == 0
    outbox_deliver_due()
    late = today + timedelta(days=3)
    assert services.loans_send_reminders(today=late) == 1
    assert services.loans_send_reminders(today=late + timedelta(days=1)) == 0
    outbox_deliver_due()
    subjects = [m["Subject"] for m in smtp_server.messages]
    assert subjects == [
        f"Prêt à rendre le {loan.due_on:%d/%m/%Y} : CASQUE-1",
        "Prêt en retard : CASQUE-1",
    ]
    assert all(m["To"] == borrower.email for m in smtp_server.messages)

    # The overdue list shows it.
    overdue = Loan.objects.filter(pk=loan.pk).update(due_on=today - timedelta(days=1))
    assert overdue == 1
    page = client_for(desk).get(reverse("assets:loans"), {"retard": "1"})
    assert "CASQUE-1" in page.content.decode()

    client_for(desk).post(
        reverse("assets:loan_return", args=[loan.pk]),
        {"condition": "damaged", "notes": "Micro cassé"},
    )
    loan.refresh_from_db()
    headset.refresh_from_db()
    assert loan.returned_at is not None and loan.return_condition == "damaged"
    assert (headset.state, headset.assigned_to) == (AssetState.IN_REPAIR, None)
    assert list(headset.events.values_list("kind", flat=True)[:2]) == ["return", "loan"]


def test_a_laptop_type_that_is_not_lendable_is_refused(desk: User, token_model: AssetModel) -> None:
    token = make_asset(desk, token_model)
    borrower = UserFactory()
    response = api_client_for(desk).post(
        "/api/v1/loans",
        {
            "asset_id": token.pk,
            "borrower_id": borrower.pk,
            "due_on": timezone.localdate().isoformat(),
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not Loan.objects.exists()
    token.refresh_from_db()
    assert token.state == AssetState.IN_STOCK


# --- Campaigns ----------------------------------------------------------------------------------


def test_a_campaign_targets_directions_sites_and_people_and_tracks_delivery(
    desk: User, laptop_model: AssetModel
) -> None:
    manager = UserFactory(role=Role.SUPERVISOR)
    direction = OrgUnitFactory(name="Direction de la proximité")
    service = OrgUnitFactory(name="Service Nord", kind="service", parent=direction, code="svc-nord")
    other_direction = OrgUnitFactory(name="Direction financière")
    site = SiteFactory(name="Agence Sud")
    in_direction = UserFactory(org_unit=direction, display_name="A")
    in_service = UserFactory(org_unit=service, display_name="B")
    on_site = UserFactory(org_unit=other_direction, site=site, display_name="C")
    listed = UserFactory(display_name="D")
    UserFactory(org_unit=other_direction, display_name="Hors campagne")
    UserFactory(org_unit=direction, is_active=False)
    campaign = services.campaign_create(
        actor=manager,
        name="Portables télétravail",
        models=[laptop_model],
        org_units=[direction],
        sites=[site],
        people=[listed],
    )
    targets = {t.person: t for t in CampaignTarget.objects.filter(campaign=campaign)}
    assert set(targets) == {in_direction, in_service, on_site, listed}
    assert targets[in_service].direction == direction

    laptop = make_asset(desk, laptop_model, tag="PC-CAMP")
    client = client_for(desk)
    client.post(
        reverse("assets:campaign_target", args=[targets[in_service].pk]),
        {"state": "delivered", "asset_tag": "pc-camp"},
    )
    client.post(reverse("assets:campaign_target", args=[targets[listed].pk]), {"state": "refused"})
    laptop.refresh_from_db()
    assert (laptop.state, laptop.assigned_to) == (AssetState.ASSIGNED, in_service)
    assert CampaignTarget.objects.get(pk=targets[in_service].pk).asset == laptop

    page = client.get(reverse("assets:campaign", args=[campaign.pk]))
    assert page.context["progress"].percent == 50
    html = page.content.decode()
    assert "<svg" in html and "Direction de la proximité" in html

    export = client.get(reverse("assets:campaign_export", args=[campaign.pk]), {"format": "csv"})
    rows = list(
        csv.reader(
            io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig")), delimiter=";"
        )
    )
    assert sorted(r[0] for r in rows[1:]) == ["A", "C"]
    api = api_client_for(desk).get(f"/api/v1/campaigns/{campaign.pk}").json()
    assert (api["total"], api["done"], api["percent"]) == (4, 2, 50)
    assert api["by_state"] == {"to_prepare": 2, "ready": 0, "delivered": 1, "refused": 1}


# --- Readiness ----------------------------------------------------------------------------------


def test_readiness_needs_a_laptop_remote_access_and_no_blocking_ticket(
    desk: User, laptop_model: AssetModel, token_model: AssetModel, vpn_category: Category
) -> None:
    from tests.tickets.conftest import open_ticket

    direction = OrgUnitFactory(name="Direction clientèle")
    people = {
        name: UserFactory(display_name=name, org_unit=direction)
        for name in ("prête", "sans-portable", "sans-vpn", "bloquée", "drapeau")
    }
    for name in ("prête", "sans-vpn", "bloquée", "drapeau"):
        assign(desk, make_asset(desk, laptop_model), people[name])
    for name in ("prête", "sans-portable", "bloquée"):
        assign(desk, make_asset(desk, token_model), people[name])
    services.remote_access_set(actor=desk, person=people["drapeau"], enabled=True)
    blocking = open_ticket(people["bloquée"], vpn_category)
    Ticket.objects.filter(pk=blocking.pk).update(priority=Priority.P1)

    client = client_for(desk)
    page = client.get(reverse("assets:readiness"))
    data = page.context["data"]
    group = next(g for g in data.by_direction if g.name == "Direction clientèle")
    assert (group.total, group.laptop, group.remote, group.unblocked, group.ready) == (
        5,
        4,
        4,
        4,
        2,
    )
    not_ready = {p["display_name"] for p in data.not_ready}
    assert {"sans-portable", "sans-vpn", "bloquée"} <= not_ready
    assert not {"prête", "drapeau"} & not_ready

    export = client.get(
        reverse("assets:readiness_export"), {"format": "csv", "direction": direction.pk}
    )
    rows = list(
        csv.reader(
            io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig")), delimiter=";"
        )
    )
    assert sorted(r[0] for r in rows[1:]) == ["bloquée", "sans-portable", "sans-vpn"]

    client.post(reverse("assets:remote_access", args=[people["sans-vpn"].pk]), {"enabled": "1"})
    data = client.get(reverse("assets:readiness")).context["data"]
    assert "sans-vpn" not in {p["display_name"] for p in data.not_ready}


# --- Tickets ------------------------------------------------------------------------------------


def test_the_ticket_form_offers_the_requesters_assets_and_links_the_chosen_one(
    desk: User, laptop_model: AssetModel, vpn_category: Category, requester: User
) -> None:
    laptop = assign(desk, make_asset(desk, laptop_model, tag="PC-CAMILLE"), requester)
    foreign = assign(desk, make_asset(desk, laptop_model, tag="PC-AUTRE"), UserFactory())
    client = client_for(requester)
    form = client.get(reverse("tickets:new"), {"categorie": vpn_category.pk}).content.decode()
    assert "PC-CAMILLE" in form and "PC-AUTRE" not in form
    response = client.post(
        reverse("tickets:new") + f"?categorie={vpn_category.pk}",
        {
            "category": vpn_category.pk,
            "title": "Mon portable ne démarre plus",
            "description": "Écran noir au démarrage.",
            "impact": "low",
            "urgency": "medium",
            "asset": str(laptop.pk),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    ticket = Ticket.objects.get(title="Mon portable ne démarre plus")
    assert list(TicketAsset.objects.filter(ticket=ticket).values_list("asset__tag", flat=True)) == [
        "PC-CAMILLE"
    ]

    # Another person's asset id is ignored.
    client.post(
        reverse("tickets:new") + f"?categorie={vpn_category.pk}",
        {
            "category": vpn_category.pk,
            "title": "Autre",
            "description": "x",
            "impact": "low",
            "urgency": "medium",
            "asset": str(foreign.pk),
        },
    )
    assert not TicketAsset.objects.filter(asset=foreign).exists()

    # The desk sees the requester's assets on the ticket and the ticket on the asset page.
    agent = UserFactory(role=Role.SUPERVISOR)
    ticket_page = (
        client_for(agent).get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    )
    assert "PC-CAMILLE" in ticket_page
    asset_page = client_for(agent).get(reverse("assets:detail", args=[laptop.pk])).content.decode()
    assert ticket.reference in asset_page


def test_the_search_matches_the_start_of_tags_serials_and_hostnames(
    desk: User, laptop_model: AssetModel
) -> None:
    make_asset(desk, laptop_model, tag="PC-0420", serial_number="5CG42XYZ", hostname="pc-compta-7")
    make_asset(desk, laptop_model, tag="PC-1420", serial_number="AB0001", hostname="PC-RH-1")
    api = api_client_for(desk)

    def tags(q: str) -> list[str]:
        return sorted(a["tag"] for a in api.get("/api/v1/assets", {"q": q}).json()["items"])

    assert tags("pc-04") == ["PC-0420"]
    assert tags("5cg") == ["PC-0420"]
    assert tags("PC-COMPTA") == ["PC-0420"]
    assert tags("pc-rh") == ["PC-1420"]
    assert tags("PC-") == ["PC-0420", "PC-1420"]
    assert tags("420") == []


def test_a_supervisor_creates_a_campaign_from_the_form(laptop_model: AssetModel) -> None:
    supervisor = UserFactory(role=Role.SUPERVISOR)
    direction = OrgUnitFactory(name="Direction du patrimoine")
    people = [UserFactory(org_unit=direction) for _ in range(3)]
    client = client_for(supervisor)
    refused = client.post(reverse("assets:campaign_new"), {"name": "Vide"})
    assert refused.status_code == 200
    assert "Choisissez la population" in refused.content.decode()
    unknown = client.post(
        reverse("assets:campaign_new"), {"name": "X", "people": "personne@nulle.part"}
    )
    assert unknown.context["form"].errors["people"] == [
        "Personne n'a ces adresses : personne@nulle.part"
    ]
    response = client.post(
        reverse("assets:campaign_new"),
        {
            "name": "Écrans 27 pouces",
            "org_units": [direction.pk],
            "asset_models": [laptop_model.pk],
        },
    )
    assert response.status_code == 302
    targets = CampaignTarget.objects.filter(campaign__name="Écrans 27 pouces")
    assert {t.person for t in targets} == set(people)
    assert {t.state for t in targets} == {TargetState.TO_PREPARE}


def test_the_ticket_page_tells_the_assets_concerned_from_the_others_the_requester_holds(
    desk: User, laptop_model: AssetModel, headset_model: AssetModel, vpn_category: Category
) -> None:
    from relais.tickets import services as ticket_services

    person = UserFactory(role=Role.COLLABORATOR)
    laptop = assign(desk, make_asset(desk, laptop_model, tag="PC-CONCERNE"), person)
    headset = assign(desk, make_asset(desk, headset_model, tag="CASQUE-TENU"), person)
    returned = make_asset(desk, laptop_model, tag="PC-EN-STOCK")  # held by nobody
    foreign = assign(desk, make_asset(desk, laptop_model, tag="PC-AUTRUI"), UserFactory())
    ticket = ticket_services.ticket_open(
        actor=person,
        draft=ticket_services.TicketDraft(
            category=vpn_category, title="Écran noir", description="x"
        ),
    )
    services.ticket_asset_link(actor=desk, ticket=ticket, asset=laptop)
    services.ticket_asset_link(actor=desk, ticket=ticket, asset=returned)

    supervisor = UserFactory(role=Role.SUPERVISOR)
    response = client_for(supervisor).get(reverse("tickets:detail", args=[ticket.reference]))
    page = response.content.decode()
    section = page[page.index('id="ticket-assets"') :]
    section = section[: section.index("</ul>")]
    items = section.split("<li>")[1:]
    concerned = [item for item in items if "concerned by this ticket" in item or "concerné" in item]
    assert {tag for tag in ("PC-CONCERNE", "PC-EN-STOCK") if any(tag in i for i in concerned)} == {
        "PC-CONCERNE",
        "PC-EN-STOCK",
    }
    assert any("CASQUE-TENU" in item and item not in concerned for item in items)
    assert headset.tag in section and foreign.tag not in section
    assert len(items) == 3
