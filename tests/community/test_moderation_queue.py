"""The moderation queue (/entraide/moderation/): open flags with their target, reason, note,
reporter and date; dismissing a flag or hiding its post (reason required) through the
services; the moderation log. Only moderators: 404 for people outside the desk, 403 for staff
(the `community.moderate` row of tests/permissions/community.yaml, in HTML and in the API)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from relais.accounts.models import User
from relais.community import services
from relais.community.models import Answer, Flag, ModerationLog, Question
from relais.core.models import AuditLogEntry
from tests.community.conftest import make_member
from tests.community.test_permissions import (  # noqa: F401 (the `world` fixture)
    ROLES,
    World,
    snapshot,
    world,
)
from tests.conftest import api_client_for
from tests.matrix import load_matrix

pytestmark = pytest.mark.django_db

QUEUE = "/entraide/moderation/"


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def decide(user: User, flag: Flag, **data: str) -> Any:
    return client_for(user).post(f"{QUEUE}signalements/{flag.pk}/", data)


@pytest.fixture
def flagged(question: Question, answer: Answer, third: User) -> Flag:
    return services.flag_create(
        actor=third, reason="off_topic", note="Rien à voir avec le VPN", answer=answer
    )


def test_the_queue_lists_open_flags_and_the_log(moderator, question, flagged, third):
    services.moderate(actor=moderator, action="lock", reason="Trop de bruit", question=question)
    html = client_for(moderator).get(QUEUE).content.decode()
    assert f'id="signalement-{flagged.pk}"' in html
    assert "Rien à voir avec le VPN" in html  # the note
    assert third.display_name in html  # the reporter
    assert f"/entraide/questions/{question.pk}/#reponse-{flagged.answer_id}" in html
    assert "Désactivez le split tunneling." in html  # the flagged answer's text
    assert "Trop de bruit" in html  # the log


def test_a_resolved_flag_leaves_the_queue(moderator, flagged):
    services.flag_resolve(flag=flagged, actor=moderator)
    html = client_for(moderator).get(QUEUE).content.decode()
    assert f'id="signalement-{flagged.pk}"' not in html


def test_dismissing_a_flag_keeps_the_post(moderator, flagged):
    response = decide(moderator, flagged, decision="resolve")
    assert response.status_code == 302
    flag = Flag.objects.get(pk=flagged.pk)
    assert (flag.resolved_by_id, flag.resolved_at is not None) == (moderator.pk, True)
    assert Answer.objects.get(pk=flagged.answer_id).is_hidden is False
    assert AuditLogEntry.objects.filter(changes__action="flag_resolve").count() == 1


def test_hiding_the_post_needs_a_reason(moderator, flagged):
    before = snapshot()
    response = decide(moderator, flagged, decision="hide", reason="  ")
    assert response.status_code == 400
    assert "field__error" in response.content.decode()
    assert snapshot() == before


def test_hiding_the_post_resolves_its_flags_and_logs_the_reason(moderator, flagged, helper):
    other = services.flag_create(actor=moderator, reason="spam", answer=flagged.answer)
    response = decide(moderator, flagged, decision="hide", reason="Hors sujet")
    assert response.status_code == 302
    assert Answer.objects.get(pk=flagged.answer_id).is_hidden is True
    assert Flag.objects.filter(pk__in=[flagged.pk, other.pk], resolved_at=None).count() == 0
    log = ModerationLog.objects.get()
    assert (log.action, log.reason, log.moderator_id) == ("hide", "Hors sujet", moderator.pk)


def test_dismissing_twice_says_so(moderator, flagged):
    decide(moderator, flagged, decision="resolve")
    response = client_for(moderator).post(
        f"{QUEUE}signalements/{flagged.pk}/", {"decision": "resolve"}, follow=True
    )
    assert "already" in response.content.decode() or "déjà" in response.content.decode()


def test_the_queue_query_count_does_not_grow_with_the_flags(
    moderator, question, third, django_assert_max_num_queries
):
    for n in range(3):
        answer = services.answer_post(question=question, author=third, body=f"Réponse {n}")
        services.flag_create(actor=moderator, reason="spam", answer=answer)
        services.comment_post(actor=third, body=f"Commentaire {n}", question=question)
    client = client_for(moderator)
    with django_assert_max_num_queries(12):
        assert client.get(QUEUE).status_code == 200


def test_refusals_change_nothing(agent, helper, flagged):
    before = snapshot()
    assert decide(helper, flagged, decision="resolve").status_code == 404
    assert decide(agent, flagged, decision="hide", reason="x").status_code == 403
    assert snapshot() == before


def test_the_queue_row_of_the_matrix_in_html_and_api(world: World) -> None:  # noqa: F811
    matrix = load_matrix("community")["community"]["moderate"]
    failures: list[str] = []
    for role in ROLES:
        user = User.objects.get(pk=world.people[role].pk)
        expected = 200 if matrix[role] == "all" else (403 if user.is_staff_member else 404)
        sid = transaction.savepoint()
        try:
            html = client_for(user).get(QUEUE).status_code
            api = api_client_for(user).get("/api/v1/community/moderation/flags").status_code
        finally:
            transaction.savepoint_rollback(sid)
        if (html, api) != (expected, expected):
            failures.append(f"{role}: html {html}, api {api}, expected {expected}")
    assert not failures, "\n".join(failures)


def test_a_member_marked_moderator_reaches_the_queue_from_the_list(db):
    mod = make_member(moderator=True)
    assert 'href="/entraide/moderation/"' in client_for(mod).get("/entraide/").content.decode()
    plain = make_member()
    assert (
        'href="/entraide/moderation/"' not in client_for(plain).get("/entraide/").content.decode()
    )
