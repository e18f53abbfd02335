"""French analysis: folding, tokens, stems, synonyms, typo repair and prefixes."""

import unicodedata

from relais.search.analysis import (
    MemoryVocabulary,
    Synonyms,
    analyse,
    analyse_query,
    fold,
    stem,
    tokens,
)


def _alternatives(query, index):
    return {qt.term for qt in query.concepts[index]}


def test_fold_removes_accents_and_ligatures():
    assert (
        fold("Écran bloqué à l’ouverture, cœur Ægir") == "ecran bloque a l'ouverture, coeur aegir"
    )


def test_fold_accepts_decomposed_unicode():
    decomposed = unicodedata.normalize("NFD", "Téléphone réinitialisé")
    assert decomposed != "Téléphone réinitialisé"
    assert fold(decomposed) == "telephone reinitialise"


def test_tokens_remove_elisions_with_any_apostrophe():
    assert tokens("L’imprimante d'étage qu'on n'utilise jusqu'à présent") == [
        "imprimante",
        "etage",
        "on",
        "utilise",
        "a",
        "present",
    ]


def test_tokens_keep_hyphenated_words_whole_and_in_parts():
    assert tokens("Le wi-fi, peut-on l'activer ?") == ["le", "wifi", "wi", "fi", "peut", "activer"]


def test_analyse_drops_stop_words_and_stems_plurals():
    assert analyse("Les imprimantes du couloir") == analyse("imprimante couloir")
    assert analyse("Les imprimantes du couloir") == ["imprim", "couloir"]


def test_analyse_matches_feminine_participle_without_accent():
    assert analyse("session bloquée") == analyse("session bloquee") == analyse("sessions bloqué")


def test_stem_of_a_stop_word_is_empty():
    assert stem("nous") == ""
    assert stem("ordinateurs") == "ordin"


def test_synonym_abbreviation_expands_to_multi_word_phrase():
    synonyms = Synonyms([["mdp", "mot de passe"]])
    query = analyse_query("mdp expiré", synonyms)
    assert len(query.concepts) == 2
    assert _alternatives(query, 0) == {"mdp", "mot pass"}
    assert query.terms() == {"mdp", "mot", "pass", "expir"}


def test_multi_word_phrase_in_query_is_one_concept():
    synonyms = Synonyms([["mdp", "mot de passe"]])
    query = analyse_query("Mots de passe oubliés", synonyms)
    assert len(query.concepts) == 2
    assert _alternatives(query, 0) == {"mdp", "mot pass"}
    assert {qt.source for qt in query.concepts[0]} == {"query", "synonym"}


def test_synonyms_ignore_negation_position():
    synonyms = Synonyms([["ne démarre pas", "plantage"]])
    for text in ("l'appli démarre plus", "rien ne démarre", "ne démarre jamais"):
        assert "plantag" in query_terms(analyse_query(text, synonyms)), text


def query_terms(query):
    return {qt.term for concept in query.concepts for qt in concept}


def test_one_way_synonyms_do_not_expand_backwards():
    synonyms = Synonyms.from_lines(["figé => bloqué"])
    assert "bloqu" in query_terms(analyse_query("écran figé", synonyms))
    assert "fig" not in query_terms(analyse_query("écran bloqué", synonyms))


def test_default_synonyms_know_common_desk_words():
    synonyms = Synonyms.default()
    assert "mot pass" in query_terms(analyse_query("reset password", synonyms))
    assert "lent" in query_terms(analyse_query("mon ordi rame", synonyms))
    assert "courriel" in query_terms(analyse_query("mail", synonyms))


def test_typo_is_repaired_against_vocabulary_with_suggestion():
    vocabulary = MemoryVocabulary({"imprim": 12, "bourrag": 3, "papi": 7})
    query = analyse_query("bourage papier", Synonyms([]), vocabulary)
    assert ("bourrag", "typo") in {(qt.term, qt.source) for qt in query.concepts[0]}
    assert query.suggestion == "bourrage papier"


def test_typo_that_changes_the_stem_is_repaired():
    vocabulary = MemoryVocabulary({"imprim": 12})
    query = analyse_query("imprimente", Synonyms([]), vocabulary)
    assert "imprim" in _alternatives(query, 0)
    assert query.suggestion == "imprimante"


def test_known_words_are_not_repaired():
    vocabulary = MemoryVocabulary({"imprim": 12, "imprimerie": 1})
    query = analyse_query("imprimante", Synonyms([]), vocabulary)
    assert _alternatives(query, 0) == {"imprim"}
    assert query.suggestion is None


def test_near_allows_more_edits_for_longer_terms():
    vocabulary = MemoryVocabulary({"vpn": 5, "verrouill": 4, "outlook": 9})
    assert vocabulary.near("vpm") == []
    assert vocabulary.near("outlok") == ["outlook"]
    assert vocabulary.near("verouilll") == ["verrouill"]


def test_prefix_expands_last_word_by_frequency():
    vocabulary = MemoryVocabulary({"imprim": 12, "impress": 30, "import": 2, "ecran": 9})
    query = analyse_query("ecran impr", Synonyms([]), vocabulary, prefix=True)
    last = query.concepts[-1]
    prefixed = [qt.term for qt in last if qt.source == "prefix"]
    assert prefixed == ["impress", "imprim"]
    assert "import" not in prefixed


def test_without_prefix_the_last_word_is_taken_as_typed():
    vocabulary = MemoryVocabulary({"imprim": 12, "impress": 30, "impr": 1})
    query = analyse_query("impr", Synonyms([]), vocabulary)
    assert _alternatives(query, 0) == {"impr"}


def test_phrase_of_stop_words_matches_word_for_word():
    synonyms = Synonyms.from_lines(
        ["télétravail | chez moi", "intranet | le fil", "qqn | quelqu'un"]
    )
    query = analyse_query("bloqué chez moi", synonyms)
    assert "teletravail" in _alternatives(query, 1)
    # "moi" alone, or "un" out of "quelqu'un", is no phrase.
    assert query_terms(analyse_query("un écran pour moi", synonyms)) == {"ecran"}


def test_phrase_with_a_stop_word_keeps_what_its_other_words_mean():
    synonyms = Synonyms.from_lines(["intranet | le fil", "fil | câble"])
    query = analyse_query("le fil s'affiche mal", synonyms)
    assert {"fil", "intranet", "cabl"} <= _alternatives(query, 0)


def test_phrase_is_found_with_a_synonym_of_one_of_its_words():
    synonyms = Synonyms.from_lines(
        ["configuration | config", "mise en service | première configuration"]
    )
    query = analyse_query("nouveau smartphone première config", synonyms)
    assert "mis servic" in query_terms(query)
    assert len(query.concepts) == 3


def test_two_synonyms_side_by_side_are_not_a_phrase_of_their_group():
    synonyms = Synonyms.from_lines(["imprimante | copieur | imprimante multifonction"])
    query = analyse_query("imprimer sur l'imprimante", synonyms)
    assert len(query.concepts) == 2


def test_words_of_the_dictionary_are_not_repaired():
    vocabulary = MemoryVocabulary({"faut": 40, "sit": 3})
    synonyms = Synonyms.from_lines(["phishing | faux mail"])
    query = analyse_query("faux site", synonyms, vocabulary)
    assert _alternatives(query, 0) == {"faux"}
    assert query.suggestion is None


def test_drive_letter_is_a_drive():
    synonyms = Synonyms.from_lines(["lecteur réseau | lecteur p"])
    query = analyse_query("P: a disparu", synonyms)
    assert "lecteur reseau" in _alternatives(query, 0)
    assert "lecteur" not in query_terms(analyse_query("C:\\temp", synonyms))


def test_plural_and_singular_find_each_other_where_snowball_differs():
    assert stem("photos") != stem("photo")  # why the query needs the other form
    vocabulary = MemoryVocabulary({"photo": 3, "connex": 2, "connexion": 9})
    assert _alternatives(analyse_query("photos", Synonyms([]), vocabulary), 0) == {
        "photos",
        "photo",
    }
    assert _alternatives(analyse_query("connexion", Synonyms([]), vocabulary), 0) == {
        "connexion",
        "connex",
    }


def test_verb_forms_snowball_stems_apart_find_each_other():
    vocabulary = MemoryVocabulary({"fonction": 8, "fonctionnent": 2, "recev": 3, "recu": 4})
    assert {"fonction", "fonctionnent"} <= _alternatives(
        analyse_query("fonctionnent", Synonyms([]), vocabulary), 0
    )

    def alternatives(text):
        return _alternatives(analyse_query(text, Synonyms([]), vocabulary), 0)

    assert "fonctionnent" in alternatives("fonctionne")
    assert {"recev", "recu"} <= alternatives("je reçois")
    # Forms absent from the index add nothing.
    assert _alternatives(analyse_query("moment", Synonyms([]), vocabulary), 0) == {"moment"}


def test_phrase_reduced_to_one_word_by_its_stop_words_needs_them():
    synonyms = Synonyms.from_lines(["intranet | le fil", "service desk | help desk"])
    assert "intranet" in query_terms(analyse_query("le fil", synonyms))
    assert "intranet" not in query_terms(analyse_query("fil du casque", synonyms))
    assert "servic desk" not in query_terms(analyse_query("desk phone", synonyms))
