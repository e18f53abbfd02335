"""Ranking: BM25F field weights, concepts counted once, determinism, related documents."""

import dataclasses

from relais.search.analysis import Query, QueryTerm, Synonyms, analyse, analyse_query
from relais.search.ranking import (
    DEFAULT_PARAMS,
    FIELDS,
    CorpusStats,
    Document,
    Params,
    rank,
    score,
)


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


# --- second pass: related documents ----------------------------------------------------

NO_RERANK = Params(tag_weight=0.0)


def related_corpus():
    best = make_doc("best", title="VPN en télétravail", tags="vpn\ntélétravail\nforticlient")
    # Same weak match on "vpn"; only "z" shares the best document's other tags.
    y = make_doc("y", tags="imprimante", body=f"{FILLER} Le vpn.")
    z = make_doc("z", tags="forticlient\ntélétravail", body=f"{FILLER} Le vpn.")
    others = [
        make_doc(f"o{i}", title="Imprimante", tags="imprimante", body=FILLER) for i in range(4)
    ]
    docs = [y, z, best, *others]
    return docs, make_stats(docs)


def test_documents_sharing_tags_with_the_best_result_rise():
    docs, stats = related_corpus()
    query = analyse_query("vpn", Synonyms([]))
    assert [d.key for d, _ in rank(query, docs, stats, params=NO_RERANK)] == ["best", "y", "z"]
    assert [d.key for d, _ in rank(query, docs, stats)] == ["best", "z", "y"]


def test_rerank_keeps_the_first_result_and_does_not_depend_on_limit():
    docs, stats = related_corpus()
    query = analyse_query("vpn", Synonyms([]))
    strong = dataclasses.replace(DEFAULT_PARAMS, tag_weight=50.0)
    full = rank(query, docs, stats, limit=len(docs), params=strong)
    assert full[0][0].key == "best"
    assert rank(query, docs, stats, limit=2, params=strong) == full[:2]
    assert [d.key for d, _ in full[:3]] == ["best", "z", "y"]


def test_pseudo_relevance_feedback_lifts_documents_with_the_best_results_vocabulary():
    best = make_doc("best", title="Écran noir", body="Vérifiez le câble hdmi et la station.")
    second = make_doc("second", title="Écran qui clignote", body="Changez le câble hdmi.")
    plain = make_doc("a-plain", body=f"{FILLER} Un écran.")
    related = make_doc("b-related", body=f"{FILLER} Un écran, un câble hdmi.")
    filler = [make_doc(f"f{i}", title="Badge", body=FILLER) for i in range(6)]
    docs = [plain, related, best, second, *filler]
    stats = make_stats(docs)
    query = analyse_query("écran", Synonyms([]))
    off = [d.key for d, _ in rank(query, docs, stats, params=NO_RERANK)]
    assert off.index("a-plain") < off.index("b-related")
    on = dataclasses.replace(NO_RERANK, feedback_docs=2, feedback_weight=0.5, feedback_max_df=0.5)
    ranked = [d.key for d, _ in rank(query, docs, stats, params=on)]
    assert ranked[0] == off[0]
    assert ranked.index("b-related") < ranked.index("a-plain")
    assert ranked == [d.key for d, _ in rank(query, list(reversed(docs)), stats, params=on)]


# --- topical tail: the first page's last places go to the answer's neighbours ------------

SMALL_TAIL = dataclasses.replace(
    NO_RERANK, tail_anchors=1, tail_from=2, tail_end=3, tail_min_shared=2, tail_depth=10
)


def tail_corpus():
    best = make_doc("best", title="VPN en télétravail", tags="vpn\ntélétravail\nforticlient")
    # Two off-topic documents that hold the query word twice...
    off = [
        make_doc(f"off{i}", tags="imprimante\ncopieur", body=f"Le vpn {FILLER} le vpn.")
        for i in (1, 2)
    ]
    # ...then the answer's neighbours, which hold it once: one sharing two of its tag terms,
    # one sharing a single term (not enough).
    near = make_doc("near", tags="forticlient\ntélétravail", body=f"{FILLER} {FILLER} Le vpn.")
    loose = make_doc("loose", tags="télétravail\nbox", body=f"{FILLER} {FILLER} Le vpn.")
    docs = [*off, near, loose, best]
    return docs, make_stats(docs)


def test_topical_tail_gives_off_topic_places_to_the_answers_neighbours():
    docs, stats = tail_corpus()
    query = analyse_query("vpn", Synonyms([]))
    plain = [d.key for d, _ in rank(query, docs, stats, limit=10, params=NO_RERANK)]
    assert plain[0] == "best"
    assert set(plain[1:3]) == {"off1", "off2"}
    assert set(plain[3:]) == {"near", "loose"}
    ranked = [d.key for d, _ in rank(query, docs, stats, limit=10, params=SMALL_TAIL)]
    # The best off-topic place goes to the neighbour sharing two tag terms; the displaced
    # document follows the first page; "loose" (one shared term) is not promoted.
    assert ranked[:3] == ["best", "near", plain[2]]
    assert ranked[3] == plain[1]
    assert sorted(ranked) == sorted(plain)
    # The result does not depend on how many the caller keeps.
    assert [d.key for d, _ in rank(query, docs, stats, limit=3, params=SMALL_TAIL)] == ranked[:3]


def test_topical_tail_never_moves_the_first_places_nor_on_topic_documents():
    docs, stats = tail_corpus()
    query = analyse_query("vpn", Synonyms([]))
    plain = [d.key for d, _ in rank(query, docs, stats, limit=10, params=NO_RERANK)]
    # The tail starting after the last place changes nothing.
    late = dataclasses.replace(SMALL_TAIL, tail_from=4, tail_end=3)
    assert [d.key for d, _ in rank(query, docs, stats, limit=10, params=late)] == plain
    # Documents that share a tag term with the best one stay where they are.
    tagged = [
        dataclasses.replace(d, fields={**d.fields, "tags": [*d.fields["tags"], "forticlient"]})
        if d.key.startswith("off")
        else d
        for d in docs
    ]
    assert [d.key for d, _ in rank(query, tagged, stats, limit=10, params=SMALL_TAIL)] == plain
