"""Ranking: BM25F field weights, concepts counted once, determinism, speed."""

from relais.search.analysis import Query, QueryTerm, Synonyms, analyse, analyse_query
from relais.search.ranking import FIELDS, CorpusStats, Document, rank, score


def make_doc(key, title="", tags="", body="", kind="article"):
    texts = {"title": title, "tags": tags, "body": body}
    return Document(key=key, fields={name: analyse(texts[name]) for name in FIELDS}, kind=kind)


def make_stats(docs):
    df = {}
    for doc in docs:
        for term in {t for seq in doc.fields.values() for t in seq}:
            df[term] = df.get(term, 0) + 1
    avg = {name: sum(len(d.fields[name]) for d in docs) / len(docs) for name in FIELDS}
    return CorpusStats(n_docs=len(docs), avg_length=avg, df=lambda term: df.get(term, 0))


FILLER = "Ouvrez le portail, choisissez la rubrique puis validez la demande."


def test_title_match_beats_body_only_match():
    in_title = make_doc("a", title="Imprimante hors ligne", body=FILLER)
    in_body = make_doc("b", title="Questions diverses", body=f"{FILLER} Imprimante hors ligne.")
    docs = [in_body, in_title]
    query = analyse_query("imprimante hors ligne", Synonyms([]))
    results = rank(query, docs, make_stats(docs))
    assert [doc.key for doc, _ in results] == ["a", "b"]


def test_synonyms_do_not_double_count():
    synonyms = Synonyms([["mdp", "mot de passe"]])
    both = make_doc("both", title="Mot de passe", body="mdp mot de passe mdp")
    one = make_doc("one", title="Mot de passe", body="mot de passe")
    stats = make_stats([both, one, make_doc("other", body=FILLER)])
    query = analyse_query("mdp", synonyms)
    only_phrase = Query("mot de passe", (tuple(qt for qt in query.concepts[0] if " " in qt.term),))
    # The concept scores its best alternative, never the sum of both.
    single = Query("mdp", ((QueryTerm("mdp", 1.0, "query"),),))
    assert score(query, both, stats) == max(
        score(single, both, stats), 0.85 * score(only_phrase, both, stats)
    )


def test_phrase_words_side_by_side_score_higher():
    together = make_doc("t", body="Le mot de passe a expiré.")
    apart = make_doc("s", body="Le passe du mot a expiré.")
    docs = [together, apart]
    query = Query("mot de passe", ((QueryTerm("mot pass", 1.0, "query"),),))
    results = rank(query, docs, make_stats(docs))
    assert [doc.key for doc, _ in results] == ["t", "s"]
    assert results[0][1] > results[1][1]


def test_documents_covering_more_concepts_rank_first():
    full = make_doc("full", body="Le VPN est lent en télétravail.")
    partial = make_doc("partial", body="Le VPN, le VPN, toujours le VPN.")
    docs = [partial, full, make_doc("x", body=FILLER)]
    query = analyse_query("vpn lent", Synonyms([]))
    results = rank(query, docs, make_stats(docs))
    assert [d.key for d, _ in results] == ["full", "partial"]


def test_rank_drops_zero_scores_and_breaks_ties_by_key():
    docs = [make_doc(k, title="Badge perdu") for k in ("c", "a", "b")] + [
        make_doc("z", title="Clavier")
    ]
    stats = make_stats(docs)
    query = analyse_query("badge", Synonyms([]))
    first = rank(query, docs, stats)
    second = rank(query, list(reversed(docs)), stats)
    assert [d.key for d, _ in first] == ["a", "b", "c"]
    assert first == second


def test_rank_applies_limit():
    docs = [make_doc(str(i), title=f"Badge numéro {i}") for i in range(20)]
    query = analyse_query("badge", Synonyms([]))
    assert len(rank(query, docs, make_stats(docs), limit=5)) == 5
