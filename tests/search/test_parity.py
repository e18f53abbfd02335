"""The same relevance on both backends: on a small judged corpus, the ranking the database
returns (FTS5 on SQLite, tsvector on PostgreSQL — the suite runs on both) scores within 0.02
nDCG@5 of the ranking computed in memory by the shared analysis and ranking modules."""

from __future__ import annotations

from collections import Counter

import pytest

from relais.accounts.choices import Role
from relais.search import analysis, evaluation, ranking
from relais.search.corpus import import_corpus
from relais.search.engine import knowledge, search
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CORPUS = [
    (
        "a1",
        "article",
        "Se connecter au VPN depuis chez soi",
        "Lancez FortiClient, saisissez votre identifiant Windows puis validez la notification "
        "sur votre téléphone.",
        ["vpn", "télétravail"],
    ),
    (
        "a2",
        "article",
        "Le VPN se coupe régulièrement",
        "Si la connexion tombe toutes les dix minutes, vérifiez votre box et désactivez la mise "
        "en veille de la carte Wi-Fi.",
        ["vpn", "déconnexion"],
    ),
    (
        "a3",
        "article",
        "Changer son mot de passe Windows",
        "Appuyez sur Ctrl+Alt+Suppr puis choisissez Modifier un mot de passe. Il expire tous les "
        "90 jours.",
        ["mdp", "compte"],
    ),
    (
        "a4",
        "article",
        "Compte verrouillé après trop d'essais",
        "Après cinq erreurs, le compte se bloque pendant quinze minutes. Appelez le 4000 si "
        "c'est urgent.",
        ["compte", "verrouillage"],
    ),
    (
        "a5",
        "article",
        "Imprimer avec son badge",
        "Envoyez le document sur la file Suivez-moi, puis passez votre badge sur n'importe quel "
        "copieur.",
        ["impression", "badge"],
    ),
    (
        "a6",
        "article",
        "Bourrage papier",
        "Ouvrez le capot indiqué sur l'écran du copieur et retirez délicatement la feuille "
        "coincée.",
        ["imprimante", "papier"],
    ),
    (
        "a7",
        "article",
        "Teams : on ne m'entend pas",
        "Vérifiez le micro choisi dans les paramètres de l'appel et que le casque n'est pas en "
        "sourdine.",
        ["teams", "micro"],
    ),
    (
        "a8",
        "article",
        "Boîte aux lettres pleine",
        "Videz la corbeille et archivez les anciens messages pour libérer de la place dans "
        "Outlook.",
        ["outlook", "quota"],
    ),
    (
        "q1",
        "question",
        "Mon PC rame depuis la mise à jour",
        "Tout est très lent depuis hier.",
        ["lenteur"],
    ),
    (
        "q2",
        "question",
        "Wifi du siège introuvable",
        "Le réseau n'apparaît plus sur mon portable.",
        ["wifi"],
    ),
]
ANSWERS = {
    "q1": "Redémarre complètement, la mise à jour finit de s'installer au redémarrage.",
    "q2": "Active le Wi-Fi avec la touche de l'avion, puis choisis le réseau du siège.",
}
QUERIES = {
    "vpn coupe tout le temps": {"a2": 2, "a1": 1},
    "mot de passe expiré": {"a3": 2, "a4": 1},
    "compte bloqué": {"a4": 2, "a3": 1},
    "imprimer badge": {"a5": 2},
    "papier coincé imprimante": {"a6": 2, "a5": 1},
    "ordinateur très lent": {"q1": 2},
    "reseau sans fil": {"q2": 2},
    "boite mail pleine": {"a8": 2},
    "personne m'entend en réunion": {"a7": 2},
}


def _records() -> list[dict]:
    return [
        {
            "id": i,
            "kind": k,
            "title": t,
            "body": b,
            "tags": tags,
            "answer": ANSWERS.get(i),
            "_line": n,
        }
        for n, (i, k, t, b, tags) in enumerate(CORPUS, 1)
    ]


def _in_memory_runs() -> dict[str, list[str]]:
    docs = []
    for i, kind, title, body, tags in CORPUS:
        text = f"{body}\n\n{ANSWERS[i]}" if i in ANSWERS else body
        fields = {
            "title": analysis.analyse(title),
            "tags": analysis.analyse(" ; ".join(tags)),
            "body": analysis.analyse(text),
        }
        docs.append(ranking.Document(key=i, fields=fields, kind=kind))
    df: Counter[str] = Counter()
    for doc in docs:
        df.update({t for terms in doc.fields.values() for t in terms})
    vocabulary = analysis.MemoryVocabulary(df)
    stats = ranking.CorpusStats(
        n_docs=len(docs),
        avg_length={f: sum(len(d.fields[f]) for d in docs) / len(docs) for f in ranking.FIELDS},
        df=vocabulary.df,
    )
    synonyms = knowledge().synonyms  # the seeded dictionary, as the service uses it
    runs = {}
    for text in QUERIES:
        query = analysis.analyse_query(text, synonyms, vocabulary)
        runs[text] = [str(doc.key) for doc, _ in ranking.rank(query, docs, stats, limit=10)]
    return runs


def test_database_ranking_matches_the_shared_ranking():
    admin = UserFactory(role=Role.ADMIN)
    reader = UserFactory(role=Role.COLLABORATOR)
    import_corpus(_records(), actor=admin)
    from relais.community.models import Question
    from relais.kb.models import Article

    ids = {("article", a.pk): a.external_id for a in Article.objects.all()}
    ids |= {("question", q.pk): q.external_id for q in Question.objects.all()}
    runs = {}
    for text in QUERIES:
        found = search(text, reader, kinds=["article", "question"], snippets=False)
        runs[text] = [ids[(h.kind, h.object_id)] for h in found.hits]
    reference = evaluation.summary(_in_memory_runs(), QUERIES)
    measured = evaluation.summary(runs, QUERIES)
    assert abs(measured["ndcg@5"] - reference["ndcg@5"]) <= 0.02, (measured, reference)
    # And the corpus is not so easy that any ranking would pass.
    assert measured["ndcg@5"] >= 0.8
    assert evaluation.summary({q: [] for q in QUERIES}, QUERIES)["ndcg@5"] == 0
