"""Reports permission matrix (tests/permissions/reports.yaml) through the HTML pages, the
downloads and the API: collaborators get 404 everywhere; agents see their teams' ticket figures
only, whatever team they ask for; supervisors and admins see everything."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from freezegun import freeze_time

from relais.accounts.choices import Role
from relais.accounts.models import User
from relais.reports.choices import DashboardKey
from relais.reports.permissions import reports
from relais.search.services import zero_result_record
from tests.conftest import api_client_for, client_for
from tests.factories import UserFactory
from tests.matrix import ROLES, load_matrix
from tests.reports.conftest import Desk, at

pytestmark = pytest.mark.django_db

MATRIX = load_matrix("reports")
QUERY = "period=custom&start=2026-10-01&end=2026-10-31"


def people(desk: Desk) -> dict[str, User]:
    return {
        Role.COLLABORATOR: desk.requester,
        Role.AGENT: desk.vpn_agent,
        Role.SUPERVISOR: desk.supervisor,
        Role.ADMIN: UserFactory(role=Role.ADMIN),
    }


ROUTES: dict[str, Any] = {
    "view": lambda c: (
        [c.get(f"/rapports/{k}/?{QUERY}") for k in DashboardKey.values] + [c.get("/rapports/")]
    ),
    "export": lambda c: (
        [
            c.get(f"/rapports/tickets/export/created_resolved.{fmt}?{QUERY}")
            for fmt in ("csv", "xlsx")
        ]
        + [c.get(f"/rapports/sla/export/times.csv?{QUERY}")]
    ),
    "monthly": lambda c: [c.get("/rapports/mensuel/")],
}


@pytest.mark.parametrize("role", ROLES)
def test_html_and_api_matrix(october: Desk, role: str) -> None:
    user = people(october)[role]
    html: Client = client_for(user)
    api: Client = api_client_for(user)
    for action, spec in MATRIX["report"].items():
        expected = 200 if spec.get(role) == "all" else 404
        if action == "api":
            responses = [api.get("/api/v1/reports")] + [
                api.get(f"/api/v1/reports/{k}?{QUERY}") for k in DashboardKey.values
            ]
        else:
            responses = ROUTES[action](html)
        assert [r.status_code for r in responses] == [expected] * len(responses), (role, action)


@pytest.mark.parametrize("role", ROLES)
def test_ticket_figures_are_forced_to_the_agents_teams(october: Desk, role: str) -> None:
    user = people(october)[role]
    if role == Role.COLLABORATOR:
        return
    api = api_client_for(user)
    forced = role in MATRIX["team_forced"]
    body = api.get(f"/api/v1/reports/tickets?{QUERY}").json()
    created = next(f["value"] for f in body["figures"] if f["key"] == "created")
    assert created == (5 if forced else 6)
    assert body["filters"]["teams"] == ([october.vpn.pk] if forced else None)
    # Asking for another team: the choice does not exist for the agent (400), and the export
    # is restricted the same way.
    other = api.get(f"/api/v1/reports/tickets?{QUERY}&team={october.apps.pk}")
    assert other.status_code == (400 if forced else 200)
    csv = b"".join(
        client_for(user).get(f"/rapports/tickets/export/channels.csv?{QUERY}").streaming_content
    ).decode()
    assert ";5;" in csv if forced else ";6;" in csv


def test_anonymous_is_sent_to_login_and_the_api_answers_401(db: Any) -> None:
    assert Client().get("/rapports/tickets/").status_code == 302
    assert Client().get("/api/v1/reports/tickets").status_code == 401


def test_an_unknown_dashboard_or_table_is_404(october: Desk) -> None:
    client = client_for(october.supervisor)
    assert client.get("/rapports/nope/").status_code == 404
    assert client.get("/rapports/tickets/export/nope.csv").status_code == 404
    assert client.get("/rapports/tickets/export/channels.pdf").status_code == 404
    assert api_client_for(october.supervisor).get("/api/v1/reports/nope").status_code == 404


def test_bad_filters_get_a_clear_message(october: Desk) -> None:
    client = client_for(october.supervisor)
    response = client.get("/rapports/tickets/?period=custom&start=2026-10-31&end=2026-10-01")
    assert response.status_code == 400
    assert "La date de fin est antérieure à la date de début." in response.content.decode()
    api = api_client_for(october.supervisor)
    response = api.get("/api/v1/reports/tickets?colour=red")
    assert response.status_code == 400
    assert "colour" in response.json()["detail"]


NON_TICKET = ["knowledge", "community", "watch", "park"]
SOURCE_PAGES = {  # where each of those dashboards' rows can be read in full in the app
    "knowledge": ["/recherche/sans-resultat/"],
    "community": ["/entraide/classement/"],
    "watch": ["/veille/incidents/"],
    "park": ["/parc/campagnes/", "/parc/teletravail/"],
}


def test_dashboards_without_teams_are_whole_for_every_desk_member(october: Desk) -> None:
    """Decision 0020: the knowledge, peer-help, watch and asset dashboards have no team
    dimension; an agent (with or without a team) gets exactly the supervisor's figures, and
    every one of those figures counts rows the agent can already read in their own app."""
    no_team = UserFactory(role=Role.AGENT)
    with freeze_time(at("2026-10-20")):
        for text in ("imprimante 3D", "badge perdu"):
            zero_result_record(text)

    def figures(user: User) -> dict[str, Any]:
        api = api_client_for(user)
        bodies = {k: api.get(f"/api/v1/reports/{k}?{QUERY}").json() for k in NON_TICKET}
        return {k: (b["figures"], b["tables"]) for k, b in bodies.items()}

    bodies = {user.pk: figures(user) for user in (october.supervisor, october.vpn_agent, no_team)}
    supervisor = bodies[october.supervisor.pk]
    assert supervisor["knowledge"][1][2]["rows"]  # there is something to compare
    for user in (october.vpn_agent, no_team):
        assert bodies[user.pk] == supervisor
        assert [r["key"] for r in api_client_for(user).get("/api/v1/reports").json()] == list(
            DashboardKey.values
        )
        html = client_for(user)
        for key, pages in SOURCE_PAGES.items():
            assert reports.can(user, "view", key)
            assert [html.get(p).status_code for p in pages] == [200] * len(pages), key
    # The ticket dashboards, by contrast, are the agent's teams' only (see above), and a
    # collaborator reaches neither the dashboards nor their sources.
    collaborator = client_for(october.requester)
    assert collaborator.get("/recherche/sans-resultat/").status_code in (403, 404)
    assert not any(reports.can(october.requester, "view", k) for k in NON_TICKET)
