"""Vote integrity: one vote per person and post, none on one's own posts, questions only up;
exact counts under concurrent voting (threads, PostgreSQL); and, after any sequence of votes,
withdrawals, acceptances and un-acceptances, every reputation equals what the rows imply and
every score equals the sum of its votes (hypothesis)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, connections, transaction
from django.http import Http404
from django.utils import timezone
from freezegun import freeze_time
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from relais.accounts.models import User
from relais.community import services
from relais.community.models import Answer, Member, MonthlyPoints, Question, Vote
from relais.community.reputation import month_of, recount
from tests.community.conftest import fresh, make_member

# -- the rules, one by one -------------------------------------------------------------------


@pytest.mark.django_db
def test_one_vote_per_person_the_latest_counts(answer: Answer, third: User, helper: User) -> None:
    # Given a member who votes an answer up twice
    services.vote_cast(actor=third, answer=answer, value=1)
    score = services.vote_cast(actor=third, answer=answer, value=1)
    # Then there is one vote, and the score is 1
    assert score == 1
    assert Vote.objects.filter(user=third).count() == 1
    # When they change their mind, the vote is replaced, not added
    assert services.vote_cast(actor=third, answer=answer, value=-1) == -1
    assert list(Vote.objects.filter(user=third).values_list("value", flat=True)) == [-1]
    assert Member.objects.get(pk=helper.pk).reputation == 0  # −2 floored at 0
    # And withdrawing removes it
    assert services.vote_cast(actor=third, answer=answer, value=0) == 0
    assert not Vote.objects.filter(user=third).exists()
    assert Answer.objects.get(pk=answer.pk).score == 0


@pytest.mark.django_db
def test_the_database_refuses_a_second_vote(answer: Answer, third: User) -> None:
    services.vote_cast(actor=third, answer=answer, value=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(user=third, answer=answer, value=1)


@pytest.mark.django_db
def test_no_vote_on_ones_own_post(question: Question, answer: Answer, asker: User, helper: User):
    with pytest.raises(PermissionDenied):
        services.vote_cast(actor=helper, answer=answer, value=1)
    with pytest.raises(PermissionDenied):
        services.vote_cast(actor=asker, question=question, value=1)
    assert not Vote.objects.exists()
    assert Answer.objects.get(pk=answer.pk).score == 0
    assert Question.objects.get(pk=question.pk).score == 0


@pytest.mark.django_db
def test_questions_are_only_voted_up(question: Question, helper: User, asker: User) -> None:
    with pytest.raises(ValidationError):
        services.vote_cast(actor=helper, question=question, value=-1)
    assert not Vote.objects.exists()
    assert services.vote_cast(actor=helper, question=question, value=1) == 1
    assert Member.objects.get(pk=asker.pk).reputation == 5
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.filter(question=question).update(value=-1)


@pytest.mark.django_db
def test_a_vote_is_one_target_and_a_known_value(answer: Answer, third: User) -> None:
    with pytest.raises(ValidationError):
        services.vote_cast(actor=third, answer=answer, value=2)
    with pytest.raises(ValidationError):
        services.vote_cast(actor=third, value=1)
    with pytest.raises(ValidationError):
        services.vote_cast(actor=third, question=answer.question, answer=answer, value=1)
    assert not Vote.objects.exists()


@pytest.mark.django_db
def test_reputation_rule(asker: User, helper: User, third: User, question: Question) -> None:
    answer = services.answer_post(question=question, author=helper, body="Réponse")
    services.vote_cast(actor=third, answer=answer, value=1)  # +10
    services.vote_cast(actor=asker, answer=answer, value=1)  # +10
    services.vote_cast(actor=helper, question=question, value=1)  # asker +5
    services.answer_accept(answer=answer, actor=asker)  # +15
    assert Member.objects.get(pk=helper.pk).reputation == 35
    assert Member.objects.get(pk=asker.pk).reputation == 5
    # The asker accepting their own answer earns nothing.
    own = services.answer_post(question=question, author=asker, body="Trouvé tout seul")
    services.answer_accept(answer=own, actor=asker)
    assert Member.objects.get(pk=asker.pk).reputation == 5
    assert Member.objects.get(pk=helper.pk).reputation == 20  # the +15 moved away
    assert services.reputation_recompute(helper) == 20


# -- concurrency (PostgreSQL) ----------------------------------------------------------------


def _run_threads(targets: list[Any]) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(targets))

    def run(target: Any) -> None:
        try:
            barrier.wait(timeout=30)
            target()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


# Every transactional test restores the migrated data the same way (serialized rollback):
# one that flushes without it re-creates content types that the next one's restore collides
# with.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_votes_are_counted_exactly() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every write: concurrency is tested on PostgreSQL")
    asker = make_member(display_name="Demandeuse")
    helper = make_member(display_name="Aidant")
    voters = [make_member(display_name=f"Votant {n}") for n in range(12)]
    question = services.question_ask(author=asker, title="Imprimante", body="Elle bourre.")
    answer = services.answer_post(question=question, author=helper, body="Ouvrez le bac.")
    # Given twelve people voting at once: eight up, four down, each twice (a double click)
    plan = {voter.pk: (1 if n < 8 else -1) for n, voter in enumerate(voters)}

    def vote(voter_id: int) -> Any:
        return lambda: services.vote_cast(
            actor=User.objects.get(pk=voter_id), answer=answer, value=plan[voter_id]
        )

    def vote_question(voter_id: int) -> Any:
        return lambda: services.vote_cast(
            actor=User.objects.get(pk=voter_id), question=question, value=1
        )

    targets = [vote(pk) for pk in plan] * 2 + [vote_question(pk) for pk in plan]
    errors = _run_threads(targets)
    assert errors == []
    # Then the score is exactly the sum: 8 − 4
    assert Answer.objects.get(pk=answer.pk).score == 4
    assert Vote.objects.filter(answer=answer).count() == 12
    assert Question.objects.get(pk=question.pk).score == 12
    # And the reputations are exact: helper 8×10 − 4×2; asker 12×5, all earned this month
    assert Member.objects.get(pk=helper.pk).reputation == 72
    assert Member.objects.get(pk=asker.pk).reputation == 60
    month = month_of(timezone.now())
    assert _months_table() == {(helper.pk, month): (72, 0), (asker.pk, month): (60, 0)}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_vote_changes_and_acceptances_keep_reputation_exact() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every write: concurrency is tested on PostgreSQL")
    asker = make_member(display_name="Demandeuse")
    helpers = [make_member(display_name=f"Aidant {n}") for n in range(3)]
    voters = [make_member(display_name=f"Votant {n}") for n in range(6)]
    question = services.question_ask(author=asker, title="Wi-Fi", body="Pas de réseau.")
    answers = [
        services.answer_post(question=question, author=h, body=f"Piste {n}")
        for n, h in enumerate(helpers)
    ]
    targets: list[Any] = []
    for n, voter in enumerate(voters):
        for m, answer in enumerate(answers):
            value = 1 if (n + m) % 3 else -1
            targets.append(
                lambda v=voter.pk, a=answer, x=value: services.vote_cast(
                    actor=User.objects.get(pk=v), answer=a, value=x
                )
            )
    for answer in answers:
        targets.append(
            lambda a=answer: services.answer_accept(answer=a, actor=User.objects.get(pk=asker.pk))
        )
    errors = _run_threads(targets)
    assert errors == []
    _assert_consistent()


# -- property: any sequence keeps the caches exact -------------------------------------------


def _months_table() -> dict[tuple[int, date], tuple[int, int]]:
    return {
        (row.user_id, row.month): (row.points, row.accepted)
        for row in MonthlyPoints.objects.all()
        if row.points or row.accepted
    }


def _assert_consistent() -> None:
    """Every cache equals what the rows imply: the monthly points table equals a recount of
    the votes and acceptances; each reputation equals the sum of the person's months (floored)
    and the recount from the rows; each score equals the sum of its votes."""
    recounted = recount(Vote.objects.all(), Question.objects.all())
    assert _months_table() == {k: (t.points, t.accepted) for k, t in recounted.items()}
    for member in Member.objects.select_related("user"):
        months = sum(
            p for (user_id, _m), (p, _a) in _months_table().items() if user_id == member.pk
        )
        assert member.reputation == max(0, months), member.user
        assert member.reputation == services.reputation_recompute(member.user), member.user
    for model in (Question, Answer):
        for post in model.objects.all():
            total = sum(
                Vote.objects.filter(**{model.__name__.lower(): post}).values_list(
                    "value", flat=True
                )
            )
            assert post.score == total, post


# Targets: 0-1 the questions, 2-5 the answers (2, 3 to question 0; 4, 5 to question 1).
QUESTION_OF = {2: 0, 3: 0, 4: 1, 5: 1}
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(
            st.just("vote"),
            st.integers(0, 3),  # voter
            st.integers(0, 5),  # target
            st.sampled_from([1, -1, 0]),
        ),
        st.tuples(st.just("accept"), st.integers(0, 3), st.integers(2, 5), st.just(0)),
        st.tuples(st.just("unaccept"), st.integers(0, 3), st.integers(0, 1), st.just(0)),
        # A moderator hides (changes no points) or deletes a post.
        st.tuples(st.just("hide"), st.just(4), st.integers(0, 5), st.just(0)),
        st.tuples(st.just("delete"), st.just(4), st.integers(0, 5), st.just(0)),
        # Time passes: the next events fall in a later month (1, or 2 months on).
        st.tuples(st.just("later"), st.just(0), st.integers(1, 2), st.just(0)),
    ),
    max_size=30,
)
START = datetime(2026, 1, 20, 10, 0, tzinfo=UTC)


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=OPERATIONS)
# Sequences that cross a month, always tried: a vote changed, withdrawn, or its post deleted
# a month later; an acceptance moved or withdrawn a month later; an accepted answer deleted.
@example(operations=[("vote", 0, 2, 1), ("later", 0, 1, 0), ("vote", 0, 2, -1), ("vote", 3, 2, 1)])
@example(operations=[("vote", 2, 0, 1), ("vote", 0, 3, -1), ("later", 0, 2, 0), ("vote", 0, 3, 0)])
@example(operations=[("vote", 0, 3, 1), ("vote", 3, 2, 1), ("later", 0, 1, 0), ("delete", 4, 0, 0)])
@example(
    operations=[("accept", 0, 2, 0), ("later", 0, 1, 0), ("accept", 0, 3, 0), ("vote", 0, 3, 1)]
)
@example(operations=[("accept", 1, 4, 0), ("later", 0, 1, 0), ("unaccept", 3, 1, 0)])
@example(
    operations=[("accept", 0, 3, 0), ("later", 0, 1, 0), ("hide", 4, 3, 0), ("delete", 4, 3, 0)]
)
def test_reputation_points_and_scores_always_match_the_rows(
    operations: list[tuple[str, int, int, int]], db: Any
) -> None:
    sid = transaction.savepoint()
    clock = START
    try:
        with freeze_time(clock):
            people = [make_member(display_name=f"Membre {n}") for n in range(4)]
            moderator = make_member(moderator=True, display_name="Modération")
            q0 = services.question_ask(author=people[0], title="Q0", body="Texte")
            q1 = services.question_ask(author=people[1], title="Q1", body="Texte")
            posts: list[Question | Answer] = [
                q0,
                q1,
                services.answer_post(question=q0, author=people[1], body="A"),
                services.answer_post(question=q0, author=people[2], body="B"),
                services.answer_post(question=q1, author=people[0], body="C"),
                services.answer_post(question=q1, author=people[1], body="D (own question)"),
            ]
        gone: set[int] = set()
        # The model, kept here independently of the services: live votes (and the month they
        # were cast in), accepted answers (and the month of acceptance).
        votes: dict[tuple[int, int], tuple[int, date]] = {}
        accepted: dict[int, tuple[int, date] | None] = {0: None, 1: None}
        for kind, who, target, value in operations:
            if kind == "later":
                clock = (clock.replace(day=1) + timedelta(days=32 * target)).replace(day=20)
                continue
            if target in gone:
                continue
            month = clock.astimezone(ZoneInfo("Europe/Paris")).date().replace(day=1)
            moderating = who == 4 or (kind in ("accept", "unaccept") and who == 3)
            actor = fresh(moderator if moderating else people[who])
            post = type(posts[target]).objects.get(pk=posts[target].pk)
            on = {"question": post} if isinstance(post, Question) else {"answer": post}
            try:
                with freeze_time(clock):
                    if kind == "vote":
                        services.vote_cast(actor=actor, value=value, **on)  # type: ignore[arg-type]
                    elif kind == "accept":
                        assert isinstance(post, Answer)
                        services.answer_accept(answer=post, actor=actor)
                    elif kind == "unaccept":
                        assert isinstance(post, Question)
                        services.answer_unaccept(question=post, actor=actor)
                    else:
                        services.moderate(actor=actor, action=kind, reason="Essai", **on)  # type: ignore[arg-type]
            except (PermissionDenied, ValidationError, Http404):
                continue
            if kind == "vote":
                previous = votes.get((actor.pk, target))
                if value == 0:
                    votes.pop((actor.pk, target), None)
                elif previous is None or previous[0] != value:
                    votes[(actor.pk, target)] = (value, month)
            elif kind == "accept":
                current = accepted[QUESTION_OF[target]]
                if current is None or current[0] != target:
                    accepted[QUESTION_OF[target]] = (target, month)
            elif kind == "unaccept":
                accepted[target] = None
            elif kind == "delete":
                removed = {target} | {a for a, q in QUESTION_OF.items() if q == target}
                gone |= removed
                votes = {k: v for k, v in votes.items() if k[1] not in removed}
                for question_index, chosen in list(accepted.items()):
                    if question_index in removed or (chosen and chosen[0] in removed):
                        accepted[question_index] = None
        # The caches equal what the rows imply...
        _assert_consistent()
        # ...and the rows are what the rule says (computed here, independently).
        expected: dict[tuple[int, date], list[int]] = {}
        for (_voter, target), (value, month) in votes.items():
            author_id = posts[target].author_id
            earned = 5 if target < 2 else 10 if value == 1 else -2
            expected.setdefault((author_id, month), [0, 0])[0] += earned
        for question_index, chosen in accepted.items():
            if chosen is not None:
                answer_index, month = chosen
                answer = posts[answer_index]
                if answer.author_id != posts[question_index].author_id:
                    row = expected.setdefault((answer.author_id, month), [0, 0])
                    row[0] += 15
                    row[1] += 1
        assert _months_table() == {k: (p, a) for k, (p, a) in expected.items() if p or a}
        for person in people:
            total = sum(p for (user_id, _m), (p, _a) in expected.items() if user_id == person.pk)
            assert Member.objects.get(pk=person.pk).reputation == max(0, total)
        for index, post in enumerate(posts):
            if index in gone:
                assert not type(post).objects.filter(pk=post.pk).exists()
                continue
            total = sum(v for (_u, t), (v, _m) in votes.items() if t == index)
            assert type(post).objects.get(pk=post.pk).score == total
    finally:
        transaction.savepoint_rollback(sid)
