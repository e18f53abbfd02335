"""Entraide (peer help) at volume: the question page and the list tabs.

Seeds members (most of the demo organisation's 200 people), N questions, M answers, votes,
accepted answers, tags and comments in bulk (PostgreSQL: COPY; SQLite: executemany), with the
cached counters (`score`, `answer_count`, `last_activity_at`) computed from the generated rows
as they are written; the monthly points and `Member.reputation` are then rebuilt from the rows
by `services.points_rebuild` (what the back-fill migration runs), timed; everything is checked
against the rows; then `VACUUM ANALYZE`. Measured in process through Django's test client (a
logged-in member, HTTP_HOST 127.0.0.1), after a warm-up: p50/p95 per page, and the queries
each page runs.

    python -m bench community --database postgres --questions 100000 --answers 400000
    python -m bench community --database sqlite --questions 20000 --answers 80000
    # add --reuse to measure again on the seeded database (it is migrated again)
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.http_baseline import measure
from bench.tickets import bench_environment, django_setup, fresh_instance, relais

ROOT = Path(__file__).resolve().parents[1]
MEMBER_EMAIL = "collaborateur@relais.test"

TAGS = [
    "vpn", "teams", "outlook", "gesloc", "interv", "impression", "badge", "wifi",
    "mot de passe", "smartphone", "excel", "word", "onedrive", "sharepoint", "télétravail",
    "gardien", "agence", "écran", "dock", "téléphone", "softphone", "pdf", "signature",
    "calendrier", "salle", "boîte partagée", "le fil", "rh", "formation", "lenteur",
    "lecteur réseau", "forticlient", "scanner", "copieur", "état des lieux", "bon de travaux",
    "locataire", "quittance", "astreinte", "tablette", "visio", "notifications", "compte",
    "mfa", "navigateur", "chrome", "edge", "windows", "mise à jour", "clavier", "souris",
    "casque", "micro", "caméra", "partage", "fichiers", "archives", "courrier", "photo",
    "planning",
]  # fmt: skip
SUBJECTS = [
    "Le VPN FortiClient se coupe", "Outlook ne synchronise plus", "Gesloc plante à l'ouverture",
    "Interv n'envoie pas les bons", "Le copieur refuse mon badge", "Teams sans micro",
    "Mot de passe expiré sur le téléphone", "Excel très lent sur le S:",
    "Impossible d'imprimer en agence", "Partager un dossier OneDrive avec un prestataire",
    "Le double écran ne s'allume pas", "Wi-Fi de la loge introuvable",
    "Signer un PDF sans imprimer", "Réserver une salle au siège",
]  # fmt: skip
CONTEXTS = [
    "depuis ce matin", "depuis la mise à jour", "en télétravail", "à l'agence Nord",
    "à la loge", "au siège", "sur le portable", "en tournée", "chez un locataire",
    "le lundi matin",
]  # fmt: skip
BODY = (
    "Bonjour, {subject} {context}. J'ai déjà redémarré le poste et vérifié le câble, sans "
    "changement. Quelqu'un a déjà eu le souci ? Merci d'avance.\n\n- poste : portable\n"
    "- lieu : {context}"
)
ANSWERS = [
    "Chez moi c'était le Wi-Fi : branche un câble réseau et réessaie, plus aucune coupure.",
    "Il faut fermer l'application, vider le cache (Paramètres > Stockage) puis se reconnecter.",
    "Essaie **Ctrl + Maj + V** pour coller sans la mise en forme, ça marche partout.",
    "Le 4000 peut le réinitialiser à distance, ils me l'ont fait en cinq minutes.",
    "Depuis la dernière mise à jour il faut passer par *Options > Compte > Se reconnecter*.",
    "Même souci ici ; redémarrer la station d'accueil a suffi.",
]
COMMENTS = ["Merci, ça a marché !", "Pareil pour moi.", "Tu es sous quel poste ?", "Top, merci"]

QUESTION_COLUMNS = [
    "id", "title", "body", "tags", "tags_text", "category_id", "author_id",
    "accepted_answer_id", "accepted_at", "external_id", "status", "duplicate_of_id",
    "is_locked", "is_hidden", "score", "answer_count", "last_activity_at", "version",
    "ticket_id", "unanswered_alerted_at", "created_at", "updated_at",
]  # fmt: skip
ANSWER_COLUMNS = [
    "id", "question_id", "body", "author_id", "score", "is_hidden", "as_it", "version",
    "created_at", "updated_at",
]  # fmt: skip
VOTE_COLUMNS = ["user_id", "question_id", "answer_id", "value", "cast_at"]
COMMENT_COLUMNS = ["question_id", "answer_id", "author_id", "body", "is_hidden", "created_at"]
CHUNK = 5_000  # questions generated, then written, at a time


class Writer:
    """Rows into a table: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, cursor: Any, database: str) -> None:
        self.cursor = cursor
        self.database = database

    def write(self, table: str, columns: list[str], rows: list[list[Any]]) -> None:
        if not rows:
            return
        names = ", ".join(columns)
        if self.database == "postgres":
            with self.cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            # Table and column names are the constants above, never input.
            self.cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608  # static-ban: allow (benchmark bulk load: constant identifiers)


def seed(questions: int, answers: int, votes: int, database: str) -> dict[str, Any]:
    """Members, questions, answers, votes, acceptances and comments; counters consistent.
    Returns what was written and the seconds it took."""
    from django.db import connection, transaction

    from relais.accounts.models import User
    from relais.community import services
    from relais.community.models import Member
    from relais.tickets.models import Category

    rng = random.Random(11)
    started = time.perf_counter()
    now = datetime.now(UTC)
    people = list(User.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    must = User.objects.get(email=MEMBER_EMAIL).pk
    members = sorted({must, *rng.sample(people, int(len(people) * 0.9))})
    Member.objects.bulk_create(
        [Member(user_id=pk, joined_at=now - timedelta(days=900)) for pk in members]
    )
    categories = list(Category.objects.filter(parent__isnull=False).values_list("pk", flat=True))
    answers_per_question = answers / questions
    votes_per_post = votes / (answers + questions)
    counts = {"questions": 0, "answers": 0, "votes": 0, "comments": 0, "accepted": 0}
    answer_id = 0
    span = 2 * 365 * 24 * 3600  # questions over two years, evenly

    def voters(author: int, k: int) -> list[int]:
        chosen = set(rng.sample(members, min(k + 1, len(members))))
        chosen.discard(author)
        return list(chosen)[:k]

    def vote_count() -> int:
        return min(len(members) - 1, int(rng.expovariate(1 / votes_per_post) + 0.5))

    def chunk_rows(first: int, last: int) -> tuple[list[list[Any]], ...]:
        nonlocal answer_id
        q_rows: list[list[Any]] = []
        a_rows: list[list[Any]] = []
        v_rows: list[list[Any]] = []
        c_rows: list[list[Any]] = []
        for qid in range(first, last):
            created = now - timedelta(seconds=span * (questions - qid) / questions + 60)
            author = rng.choice(members)
            tags = rng.sample(TAGS, rng.randint(1, 3))
            hidden = rng.random() < 0.003
            # Answers: Poisson-like around the mean, one question in ten without any.
            n_answers = 0 if rng.random() < 0.1 else 1 + int(rng.expovariate(
                1 / max(0.1, answers_per_question / 0.9 - 1)
            ) + 0.5)  # fmt: skip
            n_answers = min(n_answers, 40)
            last_activity = created
            q_score = 0
            for voter in voters(author, min(vote_count(), 30)):
                cast = created + (now - created) * rng.random()
                v_rows.append([voter, qid, None, 1, cast])
                q_score += 1
            best: tuple[int, int, int, datetime] | None = None  # score, id, author, created
            for _ in range(n_answers):
                answer_id += 1
                helper = rng.choice(members)
                while helper == author:
                    helper = rng.choice(members)
                a_created = created + (now - created) * rng.random() * 0.5
                score = 0
                for voter in voters(helper, vote_count()):
                    value = 1 if rng.random() < 0.9 else -1
                    v_rows.append(
                        [voter, None, answer_id, value, a_created + (now - a_created) * 0.3]
                    )
                    score += value
                a_rows.append(
                    [answer_id, qid, rng.choice(ANSWERS), helper, score, False, False, 1,
                     a_created, a_created]
                )  # fmt: skip
                last_activity = max(last_activity, a_created)
                if best is None or score > best[0]:
                    best = (score, answer_id, helper, a_created)
                if rng.random() < 0.1:
                    c_rows.append([None, answer_id, rng.choice(members), rng.choice(COMMENTS),
                                   False, a_created + timedelta(minutes=5)])  # fmt: skip
            if rng.random() < 0.15:
                c_rows.append([qid, None, rng.choice(members), rng.choice(COMMENTS), False,
                               created + timedelta(minutes=3)])  # fmt: skip
            accepted_id = accepted_at = None
            if best is not None and rng.random() < 0.6:
                accepted_id, accepted_at = best[1], min(now, best[3] + timedelta(hours=2))
                last_activity = max(last_activity, accepted_at)
                counts["accepted"] += 1
            q_rows.append(
                [qid, f"{rng.choice(SUBJECTS)} {rng.choice(CONTEXTS)} (n° {qid})",
                 BODY.format(subject=rng.choice(SUBJECTS).lower(), context=rng.choice(CONTEXTS)),
                 json.dumps(tags), services.tags_text(tags), rng.choice(categories), author,
                 accepted_id, accepted_at, "", "open", None, False, hidden, q_score, n_answers,
                 last_activity, 1, None, None, created, last_activity]
            )  # fmt: skip
        return q_rows, a_rows, v_rows, c_rows

    with transaction.atomic(), connection.cursor() as cursor:
        if database == "postgres":
            cursor.execute("SET LOCAL statement_timeout = 0")  # bulk loading is no web request
            # Questions and answers point at each other: foreign keys are checked at commit.
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        writer = Writer(cursor, database)
        for first in range(1, questions + 1, CHUNK):
            q_rows, a_rows, v_rows, c_rows = chunk_rows(first, min(questions + 1, first + CHUNK))
            writer.write("community_question", QUESTION_COLUMNS, q_rows)
            writer.write("community_answer", ANSWER_COLUMNS, a_rows)
            writer.write("community_vote", VOTE_COLUMNS, v_rows)
            writer.write("community_comment", COMMENT_COLUMNS, c_rows)
            counts["questions"] += len(q_rows)
            counts["answers"] += len(a_rows)
            counts["votes"] += len(v_rows)
            counts["comments"] += len(c_rows)
        if database == "postgres":
            for table in ("community_question", "community_answer"):
                cursor.execute(  # static-ban: allow (benchmark bulk load: constant identifiers)
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {table}))"
                )
    rebuilt = time.perf_counter()
    counts["monthly_rows"] = services.points_rebuild()
    counts["rebuild_seconds"] = round(time.perf_counter() - rebuilt, 1)
    with connection.cursor() as cursor:
        if database == "postgres":
            # VACUUM too: after a bulk load the visibility map is empty and counts cannot be
            # answered from the indexes alone until autovacuum passes.
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
    counts["members"] = len(members)
    counts["seconds"] = round(time.perf_counter() - started, 1)
    return counts


def check_counters(sample: int = 300) -> None:
    """The cached counters equal what the rows imply (the services' own rules)."""
    from django.db.models import Sum

    from relais.accounts.models import User
    from relais.community import services
    from relais.community.models import Answer, Member, MonthlyPoints, Question, Vote

    rng = random.Random(5)
    last = Question.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ids = rng.sample(range(1, last + 1), min(sample, last))
    for question in Question.objects.filter(pk__in=ids):
        votes = Vote.objects.filter(question=question).aggregate(s=Sum("value"))["s"] or 0
        assert question.score == votes, question.pk
        assert question.answer_count == Answer.objects.filter(question=question).count()
    for answer in Answer.objects.filter(question_id__in=ids):
        votes = Vote.objects.filter(answer=answer).aggregate(s=Sum("value"))["s"] or 0
        assert answer.score == votes, answer.pk
    for member in Member.objects.order_by("?")[:10]:
        user = User.objects.get(pk=member.pk)
        months = {
            (row.user_id, row.month): (row.points, row.accepted)
            for row in MonthlyPoints.objects.filter(user=user)
            if row.points or row.accepted
        }
        recounted = {k: (t.points, t.accepted) for k, t in services.points_recount(user).items()}
        assert months == recounted, member.pk
        assert member.reputation == services.reputation_recompute(user), member.pk
    print(
        "counters checked: scores, answer counts, monthly points and reputations match the rows",
        flush=True,
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench community")
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--answers", type=int, default=400_000)
    parser.add_argument("--votes", type=int, default=None, help="default: 2.5 per post")
    parser.add_argument("--requests", type=int, default=150, help="measured per page")
    parser.add_argument("--deep-page", type=int, default=200)
    parser.add_argument("--reuse", action="store_true", help="Keep an already seeded database")
    args = parser.parse_args(argv)
    votes = args.votes if args.votes is not None else int((args.questions + args.answers) * 2)

    env = bench_environment(args.database, "bench-community")
    seeded: dict[str, Any] = {}
    if not args.reuse:
        fresh_instance(env, args.database)
        seeded = seed(args.questions, args.answers, votes, args.database)
        print(
            f"seeded {seeded['members']} members, {seeded['questions']:,} questions, "
            f"{seeded['answers']:,} answers ({seeded['accepted']:,} accepted), "
            f"{seeded['votes']:,} votes, {seeded['comments']:,} comments "
            f"in {seeded['seconds']:.0f} s (monthly points: {seeded['monthly_rows']:,} rows "
            f"rebuilt in {seeded['rebuild_seconds']:.1f} s)",
            flush=True,
        )
    else:
        relais(env, "migrate", "-v0")  # a reused database gets the latest indexes
        django_setup(env)
    check_counters()

    from django.db import connection
    from django.test import Client

    from relais.accounts.models import OrgUnit, User
    from relais.community.models import Question

    viewer = User.objects.get(email=MEMBER_EMAIL)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(viewer)
    rng = random.Random(3)
    last = Question.objects.order_by("-pk").values_list("pk", flat=True).first() or 1
    visible = set(
        Question.objects.filter(
            pk__in=rng.sample(range(1, last + 1), min(last, args.requests * 2)), is_hidden=False
        ).values_list("pk", flat=True)
    )
    question_ids = sorted(visible)[: args.requests]
    rng.shuffle(question_ids)
    members = list(User.objects.filter(community_member__isnull=False).values_list("pk", flat=True))
    tags = TAGS[:20]
    deep = args.deep_page
    directions = list(OrgUnit.objects.filter(parent=None).values_list("pk", flat=True))
    past_month = (datetime.now(UTC) - timedelta(days=200)).strftime("%Y-%m")

    pages: dict[str, tuple[Callable[[Any], str], list[Any]]] = {
        "question page": (lambda pk: f"/entraide/questions/{pk}/", question_ids),
        "newest, page 1": (lambda _: "/entraide/", [None] * args.requests),
        f"newest, page {deep}": (lambda _: f"/entraide/?page={deep}", [None] * args.requests),
        "unanswered, page 1": (lambda _: "/entraide/?onglet=sans-reponse", [None] * args.requests),
        f"unanswered, page {deep // 4}": (
            lambda _: f"/entraide/?onglet=sans-reponse&page={deep // 4}",
            [None] * args.requests,
        ),
        "top this week, page 1": (
            lambda _: "/entraide/?onglet=populaires",
            [None] * args.requests,
        ),
        "by tag, page 1": (
            lambda tag: f"/entraide/?onglet=mot-cle&mot={tag}",
            [tags[i % len(tags)] for i in range(args.requests)],
        ),
        f"by tag, page {deep // 4}": (
            lambda tag: f"/entraide/?onglet=mot-cle&mot={tag}&page={deep // 4}",
            [tags[i % len(tags)] for i in range(args.requests)],
        ),
        "member profile": (
            lambda pk: f"/entraide/membres/{pk}/",
            [members[i % len(members)] for i in range(args.requests)],
        ),
        "leaderboard (this month)": (lambda _: "/entraide/classement/", [None] * args.requests),
        "leaderboard (a past month, by direction)": (
            lambda direction: f"/entraide/classement/?mois={past_month}&direction={direction}",
            [directions[i % len(directions)] for i in range(args.requests)],
        ),
    }
    results: dict[str, Any] = {}
    for label, (url, samples) in pages.items():

        def get(item: Any, url: Callable[[Any], str] = url) -> None:
            response = client.get(url(item))
            assert response.status_code == 200, (url(item), response.status_code)

        queries: list[str] = []

        def count(execute, sql, params, many, context, queries=queries):  # type: ignore[no-untyped-def]
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            get(samples[0])
        results[label] = {**measure(label, get, samples), "queries": len(queries)}
    print("queries per page: " + ", ".join(f"{k} {v['queries']}" for k, v in results.items()))
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"community-{args.database}.json").write_text(
        json.dumps(
            {
                "database": args.database,
                "questions": args.questions,
                "answers": args.answers,
                "seeded": seeded,
                "results": results,
            },
            indent=2,
        )
    )
    return 0
