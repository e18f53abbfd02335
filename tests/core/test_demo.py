"""`relais demo` seeds a usable organisation and desk, and its printed logins work."""

from __future__ import annotations

import pytest
from django.test import Client

from relais.accounts.choices import Role
from relais.accounts.models import User
from relais.core import demo
from relais.tickets.choices import MessageKind
from relais.tickets.models import Ticket, TicketMessage

pytestmark = pytest.mark.django_db


def test_demo_seeds_every_role_and_a_working_desk():
    summary = demo.seed(scale=0.05)
    assert len(summary) == 8  # people, tickets, articles, questions, mail, assets, watch, search
    assert User.objects.count() == 200
    counts = {role: User.objects.filter(role=role).count() for role in Role.values}
    assert all(count > 0 for count in counts.values())
    # The e-mail channel: requests and a reply filed, automatic mail set aside, a stranger's
    # mail in quarantine.
    from relais.mail.models import InboundMessage

    statuses = set(InboundMessage.objects.values_list("status", flat=True))
    assert {"processed", "set_aside", "quarantined"} <= statuses
    created_by_mail = InboundMessage.objects.filter(outcome="created").count()
    assert created_by_mail == 3
    assert Ticket.objects.count() == 100 + created_by_mail
    assert TicketMessage.objects.filter(kind=MessageKind.REPLY).exists()
    references = list(Ticket.objects.values_list("reference", flat=True))
    assert len(set(references)) == len(references)
    assert demo.has_data()

    for email, _label in demo.DEMO_LOGINS:
        client = Client()
        response = client.post("/connexion/", {"username": email, "password": demo.DEMO_PASSWORD})
        assert response.status_code == 302, email
        assert client.get("/demandes/").status_code == 200
    assert "demo-relais-2026" in demo.logins_text()

    # The knowledge base and the community are searchable at once (the bulk seeders write no
    # signals: the last seeder indexes everything).
    from relais.search.engine import search

    reader = User.objects.get(email="collaborateur@relais.test")
    kinds = {hit.kind for hit in search("vpn", reader).hits}
    assert {"article", "question"} <= kinds

    # The community's monthly points are what its votes and acceptances imply.
    from relais.community.models import MonthlyPoints, Question, Vote
    from relais.community.reputation import recount

    recounted = recount(Vote.objects.all(), Question.objects.all())
    assert recounted
    assert {
        (row.user_id, row.month): (row.points, row.accepted)
        for row in MonthlyPoints.objects.all()
        if row.points or row.accepted
    } == {key: (t.points, t.accepted) for key, t in recounted.items()}
