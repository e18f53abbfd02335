"""Monthly points: the leaderboards, the helper of the month, the reputation and the profile's
accepted-answer count read `MonthlyPoints`, which the services keep with every event; the
back-fill migration writes it from existing votes and acceptances. (That it always equals a
recount of the rows is the property test in test_votes.py.)"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from relais.accounts.choices import OrgUnitKind
from relais.accounts.models import User
from relais.community import selectors, services
from relais.community.choices import BadgeCode
from relais.community.models import Answer, Member, MonthlyPoints, Question
from tests.community.conftest import fresh, make_member
from tests.factories import OrgUnitFactory

pytestmark = pytest.mark.django_db

JANUARY = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
FEBRUARY = datetime(2026, 2, 10, 9, 0, tzinfo=UTC)


def _board(month: str, direction_id: int | None = None) -> list[tuple[int, int]]:
    return [(r.user_id, r.points) for r in selectors.leaderboard(month, direction_id)]


def _months(user: User) -> dict[str, tuple[int, int]]:
    return {
        f"{row.month:%Y-%m}": (row.points, row.accepted)
        for row in MonthlyPoints.objects.filter(user=user)
    }


def _votes_in_january_acceptance_in_february(
    question: Question, answer: Answer, asker: User, helper: User, third: User
) -> None:
    """The answer (by helper) voted up in January, the question (by asker) too; the answer
    accepted in February."""
    with freeze_time(JANUARY):
        services.vote_cast(actor=third, answer=answer, value=1)
        services.vote_cast(actor=helper, question=question, value=1)
    with freeze_time(FEBRUARY):
        services.answer_accept(answer=answer, actor=asker)


def test_a_vote_counts_in_its_month_and_a_changed_vote_moves(
    question: Question, answer: Answer, helper: User, third: User
) -> None:
    # Given an upvote in January
    with freeze_time(JANUARY):
        services.vote_cast(actor=third, answer=answer, value=1)
    assert _board("2026-01") == [(helper.pk, 10)]
    # When the voter turns it down in February
    with freeze_time(FEBRUARY):
        services.vote_cast(actor=third, answer=answer, value=-1)
    # Then January loses the +10 and February has the −2; the reputation floors at 0
    assert _months(helper) == {"2026-01": (0, 0), "2026-02": (-2, 0)}
    assert _board("2026-01") == [] and _board("2026-02") == []
    assert Member.objects.get(pk=helper.pk).reputation == 0
    # And withdrawing it in March takes the −2 back from February
    with freeze_time(datetime(2026, 3, 2, tzinfo=UTC)):
        services.vote_cast(actor=third, answer=answer, value=0)
    assert _months(helper) == {"2026-01": (0, 0), "2026-02": (0, 0)}


def test_an_acceptance_counts_in_its_month_and_leaves_it_when_withdrawn(
    question: Question, answer: Answer, asker: User, helper: User, third: User
) -> None:
    with freeze_time(JANUARY):
        services.answer_accept(answer=answer, actor=asker)
    assert _months(helper) == {"2026-01": (15, 1)}
    assert selectors.member_profile(helper).accepted_count == 1
    # Moved to another answer in February: January loses it, the other author gains it then
    other = services.answer_post(question=question, author=third, body="Autre piste")
    with freeze_time(FEBRUARY):
        services.answer_accept(answer=other, actor=asker)
    assert _months(helper) == {"2026-01": (0, 0)}
    assert _months(third) == {"2026-02": (15, 1)}
    assert (selectors.member_profile(helper).accepted_count, _board("2026-02")) == (
        0,
        [(third.pk, 15)],
    )
    # Withdrawn in March: taken back from February
    with freeze_time(datetime(2026, 3, 2, tzinfo=UTC)):
        services.answer_unaccept(question=question, actor=asker)
    assert _months(third) == {"2026-02": (0, 0)}
    assert Member.objects.get(pk=third.pk).reputation == 0


def test_the_askers_own_answer_accepted_earns_nothing(question: Question, asker: User) -> None:
    own = services.answer_post(question=question, author=asker, body="Trouvé")
    services.answer_accept(answer=own, actor=asker)
    assert _months(asker) == {}
    assert selectors.member_profile(asker).accepted_count == 0


def test_deleting_posts_takes_back_their_points_in_their_months(
    question: Question, answer: Answer, asker: User, helper: User, third: User, moderator: User
) -> None:
    _votes_in_january_acceptance_in_february(question, answer, asker, helper, third)
    assert _months(helper) == {"2026-01": (10, 0), "2026-02": (15, 1)}
    # Hiding changes nothing: votes on hidden posts still count
    services.moderate(actor=moderator, action="hide", reason="Vérification", answer=answer)
    assert _months(helper) == {"2026-01": (10, 0), "2026-02": (15, 1)}
    # Deleting the accepted answer takes its vote and the acceptance back, and un-accepts
    services.moderate(actor=moderator, action="delete", reason="Hors charte", answer=answer)
    assert _months(helper) == {"2026-01": (0, 0), "2026-02": (0, 0)}
    assert (
        Question.objects.get(pk=question.pk).accepted_at,
        selectors.accepted_answer_count(helper.pk),
    ) == (None, 0)
    assert _months(asker) == {"2026-01": (5, 0)}
    # Deleting the question takes its own vote back
    services.moderate(actor=moderator, action="delete", reason="Doublon", question=question)
    assert _months(asker) == {"2026-01": (0, 0)}
    assert Member.objects.get(pk=asker.pk).reputation == 0


def test_the_leaderboard_lists_active_members_with_points_by_direction(
    question: Question, asker: User
) -> None:
    direction = OrgUnitFactory()
    service = OrgUnitFactory(parent=direction, kind=OrgUnitKind.SERVICE)
    in_direction = make_member(display_name="Dans la direction", org_unit=direction)
    in_service = make_member(display_name="Dans un service", org_unit=service)
    elsewhere = make_member(display_name="Ailleurs")
    left = make_member(display_name="Partie")
    gone = make_member(display_name="Désactivé")
    downvoted = make_member(display_name="Critiqué")
    for person, value in (
        (in_direction, 1),
        (in_service, 1),
        (elsewhere, 1),
        (left, 1),
        (gone, 1),
        (downvoted, -1),
    ):
        given = services.answer_post(question=question, author=person, body="Piste")
        services.vote_cast(actor=asker, answer=given, value=value)
    services.answer_accept(
        answer=Answer.objects.get(author=in_service, question=question), actor=asker
    )
    services.member_leave(user=fresh(left))
    User.objects.filter(pk=gone.pk).update(is_active=False)
    month = selectors.current_month()
    # Members only, active, with points > 0; best first, ties by the earliest person
    assert _board(month) == [(in_service.pk, 25), (in_direction.pk, 10), (elsewhere.pk, 10)]
    rows = selectors.leaderboard(month, direction.pk)
    assert [(r.user_id, r.direction) for r in rows] == [
        (in_service.pk, direction.name),
        (in_direction.pk, direction.name),
    ]
    # The one who left keeps their months; rejoining brings their reputation back
    services.member_join(user=fresh(left))
    assert Member.objects.get(pk=left.pk).reputation == 10
    assert (left.pk, 10) in _board(month)


def test_the_helper_of_the_month_is_the_top_of_the_months_points(
    question: Question, asker: User, helper: User, third: User
) -> None:
    with freeze_time(JANUARY):
        first = services.answer_post(question=question, author=helper, body="Un")
        second = services.answer_post(question=question, author=third, body="Deux")
        services.vote_cast(actor=asker, answer=first, value=1)
        services.answer_accept(answer=second, actor=asker)
    with freeze_time(FEBRUARY):
        # January's top is decided on January's points, whatever happens later
        services.vote_cast(actor=asker, answer=first, value=-1)
        badge = services.helper_of_month_award()
    assert badge is not None
    assert (badge.user_id, badge.code, badge.period) == (
        third.pk,
        BadgeCode.HELPER_OF_MONTH,
        "2026-01",
    )


def test_the_leaderboard_is_one_query_whatever_the_people(asker: User) -> None:
    question = services.question_ask(author=asker, title="Imprimante", body="Bourrage")
    for n in range(12):
        person = make_member(display_name=f"Aidant {n}", org_unit=OrgUnitFactory())
        given = services.answer_post(question=question, author=person, body="Piste")
        services.vote_cast(actor=asker, answer=given, value=1)
    with CaptureQueriesContext(connection) as captured:
        rows = selectors.leaderboard(selectors.current_month())
    assert len(rows) == 12
    assert len(captured) == 1


def test_the_backfill_migration_writes_the_months_from_the_rows(
    question: Question, answer: Answer, asker: User, helper: User, third: User
) -> None:
    _votes_in_january_acceptance_in_february(question, answer, asker, helper, third)
    kept = {u.pk: _months(u) for u in (asker, helper, third)}
    # Given the table lost and the reputations wrong (as before the migration)
    MonthlyPoints.objects.all().delete()
    Member.objects.update(reputation=999)
    # When the migration's back-fill runs
    migration = importlib.import_module("relais.community.migrations.0004_monthly_points")
    migration.backfill(apps, None)
    # Then the months and reputations are back (rows that would be zero are not written)
    assert {u.pk: _months(u) for u in (asker, helper, third)} == kept
    assert {m.pk: m.reputation for m in Member.objects.all()} == {
        asker.pk: 5,
        helper.pk: 25,
        third.pk: 0,
    }
    assert services.points_rebuild() == 3
