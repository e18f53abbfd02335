"""French text analysis for Relais search: folding, tokens, stems, synonyms, typo repair.

Pure Python (no Django). The same `analyse` runs at index time and on every query
alternative, so what is indexed and what is searched always agree.

Index terms are Snowball French stems of folded words (no accents, lowercase). A
`QueryTerm.term` is either one index term or, for a multi-word alternative such as the
synonym "mot de passe", several index terms separated by one space (a phrase):
`Query.terms()` splits phrases into their index terms.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Protocol

import Stemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

__all__ = [
    "MemoryVocabulary",
    "Query",
    "QueryTerm",
    "Synonyms",
    "Vocabulary",
    "analyse",
    "analyse_query",
    "fold",
    "stem",
    "tokens",
]

# Weights of query alternatives by origin; the word as typed always weighs 1.
SYNONYM_WEIGHT = 0.85
TYPO_WEIGHT = 0.8
PREFIX_WEIGHT = 0.7
PREFIX_LIMIT = 8
TYPO_LIMIT = 3

# --- folding ---------------------------------------------------------------------------

_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_PUNCT = str.maketrans(
    {
        "\u2019": "'",  # right single quotation mark (the usual French apostrophe)
        "\u2018": "'",
        "\u02bc": "'",
        "\u02b9": "'",
        "\u2032": "'",
        "`": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\u00ad": "",  # soft hyphen
        "\u0153": "oe",
        "\u0152": "oe",
        "\u00e6": "ae",
        "\u00c6": "ae",
        "\u00df": "ss",
    }
)


def fold(text: str) -> str:
    """Fold `text` for matching: no accents, casefolded, œ/æ expanded, quotes normalised."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_PUNCT))
        text = _COMBINING.sub("", text)
    return text.casefold()


# --- tokens ----------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")
# Elided words before an apostrophe: dropped ("l'écran" -> "ecran").
ELISIONS = frozenset(
    {"l", "d", "j", "m", "n", "s", "t", "c", "qu"}
    | {"jusqu", "lorsqu", "puisqu", "quoiqu", "presqu", "quelqu"}
)
# Pronouns glued by a hyphen after a verb ("peut-on", "est-ce", "a-t-il"): dropped.
_CLITICS = frozenset(
    {"t", "je", "tu", "il", "elle", "on", "nous", "vous", "ils", "elles", "ce"}
    | {"moi", "toi", "le", "la", "les", "lui", "leur", "y", "en"}
)


def _split_word(word: str) -> list[str]:
    """Parts of one folded word: elisions removed, then hyphen parts without clitics."""
    if "'" in word:
        pieces = word.split("'")
        while len(pieces) > 1 and pieces[0] in ELISIONS:
            pieces.pop(0)
        word = "".join(pieces)  # "aujourd'hui" and the like stay one word
    if "-" not in word:
        return [word] if word else []
    parts = [p for p in word.split("-") if p]
    kept = parts[:1] + [p for p in parts[1:] if p not in _CLITICS]
    return kept


def _words(folded: str) -> Iterator[list[str]]:
    """Yield the parts of each word of an already folded text (one list per word)."""
    for match in _WORD.finditer(folded):
        parts = _split_word(match.group())
        if parts:
            yield parts


def tokens(text: str) -> list[str]:
    """Folded words of `text`, elisions removed.

    A hyphenated word gives its joined form then its parts ("wi-fi" -> "wifi", "wi", "fi")
    so that "wifi", "wi-fi" and "wi fi" all find it; trailing pronouns are dropped
    ("peut-on" -> "peut").
    """
    out: list[str] = []
    for parts in _words(fold(text)):
        if len(parts) > 1:
            out.append("".join(parts))
        out.extend(parts)
    return out


# --- stop words and stems --------------------------------------------------------------


def _data_lines(name: str) -> list[str]:
    """Non-empty lines of a data file, comments removed."""
    text = resources.files("relais.search").joinpath("data").joinpath(name).read_text("utf-8")
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


@cache
def stop_words() -> frozenset[str]:
    """The folded French stop words."""
    return frozenset(fold(line) for line in _data_lines("stopwords_fr.txt"))


# Negations carry meaning inside synonym phrases ("ne s'ouvre plus" ~ "s'ouvre pas"):
# they are kept, as one marker, in the keys used to spot phrases, never in index terms.
_NEGATIONS = frozenset(["pas", "plus", "jamais", "rien", "personne", "aucun", "aucune", "not"])
_NEGATION_MARK = "pas"

_stemmer = Stemmer.Stemmer("french")
_STEMS: dict[str, str] = {}  # folded word -> stem, "" for a stop word
_STEM_CACHE_MAX = 500_000


def stem(word: str) -> str:
    """Index term of one folded word, or "" for a stop word (cached)."""
    found = _STEMS.get(word)
    if found is not None:
        return found
    if word in stop_words():
        result = ""
    else:
        # Folding hides the feminine participle ("bloquée" -> "bloquee") from Snowball.
        if word.endswith(("ee", "ees")) and len(word) > 4:
            word_for_stemmer = word[: word.rindex("ee")] + "\u00e9e" + word[word.rindex("ee") + 2 :]
        else:
            word_for_stemmer = word
        result = _stemmer.stemWord(word_for_stemmer).replace("\u00e9", "e")
    if len(_STEMS) >= _STEM_CACHE_MAX:  # bounded memory on hostile input
        _STEMS.clear()
    _STEMS[word] = result
    return result


def analyse(text: str) -> list[str]:
    """Index terms of one field, in order: tokens, stop words dropped, stemmed."""
    get = _STEMS.get
    out: list[str] = []
    for word in tokens(text):
        term = get(word)
        if term is None:
            term = stem(word)
        if term:
            out.append(term)
    return out


def _canonical(keys: Sequence[str]) -> tuple[str, ...]:
    """Phrase key: word keys in order, one negation marker at the end wherever it was.

    "ne marche plus", "marche pas" and "rien ne marche" then share one key; a negation
    alone is no key at all.
    """
    words = tuple(k for k in keys if k and k != _NEGATION_MARK)
    if not words:
        return ()
    return (*words, _NEGATION_MARK) if len(words) < len(keys) else words


def _strict_key(word: _Phrase) -> str:
    """Key of a word in a phrase matched word for word: a stop word keeps its text."""
    return word.key or "~" + word.text


def _key(word: str) -> str:
    """Matching key of a word inside a synonym phrase: its stem, a negation marker or ""."""
    if word in _NEGATIONS:
        return _NEGATION_MARK
    return stem(word)


# --- synonyms --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Phrase:
    """One word or hyphenated word of a query, as spotted for synonym matching."""

    key: str
    text: str
    parts: tuple[str, ...]


class Synonyms:
    """Groups of equivalent phrases, matched on stems so that plurals and accents agree.

    A group is a sequence of phrases; each phrase found in a query expands to all the
    phrases of its group. A one-way group is written as a sequence whose items hold "=>"
    ("a", "b", "=>", "c") or as the single string "a | b => c | d": "a" and "b" then
    expand to "c" and "d", but not the reverse.
    """

    def __init__(self, groups: Iterable[Sequence[str]]) -> None:
        # phrase key (tuple of word keys) -> alternative phrases (as index-term strings)
        self._expansions: dict[tuple[str, ...], dict[str, None]] = defaultdict(dict)
        # The same for phrases holding stop words, keyed on every word as written ("chez
        # moi", "le fil", "tel"): such a phrase only matches word for word, so its stop
        # words can carry the meaning without making every "le" or "moi" a synonym.
        self._strict: dict[tuple[str, ...], dict[str, None]] = defaultdict(dict)
        # word key -> the one-word keys of its equivalence groups ("config" -> "configur"):
        # phrases are also looked up with their words replaced ("premiere config").
        self._equivalents: dict[str, set[str]] = defaultdict(set)
        # Keys of every word the dictionary knows: never "repaired" as a typo.
        self._known: set[str] = set()
        self.max_words = 1
        self.strict_max_words = 0
        for group in groups:
            sources, targets, one_way = self._split_group(group)
            analysed = [" ".join(_phrase_terms(p)) for p in targets]
            alternatives = list(dict.fromkeys(a for a in analysed if a))
            words = [_query_words(p) for p in targets]
            self._known.update(w.key for phrase in words for w in phrase if w.key)
            single = [] if one_way else [p[0].key for p in words if len(p) == 1 and p[0].key]
            for key in single:
                self._equivalents[key].update(k for k in single if k != key)
            for phrase in sources:
                found = _query_words(phrase)
                canonical = _canonical([w.key for w in found if w.key])
                buckets = []
                # A phrase reduced to one word by its stop words ("le fil", "help desk") only
                # matches word for word: "fil" or "desk" alone mean other things.
                if canonical and (len(canonical) > 1 or all(w.key for w in found)):
                    self.max_words = max(self.max_words, len(canonical))
                    buckets.append(self._expansions[canonical])
                if any(not w.key for w in found):
                    strict = tuple(_strict_key(w) for w in found)
                    self.strict_max_words = max(self.strict_max_words, len(strict))
                    buckets.append(self._strict[strict])
                for bucket in buckets:
                    for alternative in alternatives:
                        bucket[alternative] = None

    @staticmethod
    def _split_group(group: Sequence[str]) -> tuple[list[str], list[str], bool]:
        """(phrases that trigger the group, phrases they expand to, whether one-way)."""
        items = [group] if isinstance(group, str) else list(group)
        if len(items) == 1 and "=>" in items[0]:
            left, right = items[0].split("=>", 1)
            return _split_phrases(left), _split_phrases(left) + _split_phrases(right), True
        if "=>" in items:
            cut = items.index("=>")
            return items[:cut], [i for i in items if i != "=>"], True
        return items, items, False

    def expand(self, keys: Sequence[str]) -> list[str]:
        """Alternatives (index-term strings) of a sequence of word keys, [] if unknown."""
        found = self._expansions.get(_canonical(keys))
        return list(found) if found else []

    def expand_equivalent(self, keys: Sequence[str]) -> list[str]:
        """Like `expand`, also trying each word's one-word equivalents in its place (a
        phrase of the dictionary written with an abbreviation or a synonym of one of its
        words: "premiere config" finds "premiere configuration")."""
        found = self.expand(keys)
        if found or len(keys) < 2:
            return found
        for position, key in enumerate(keys):
            others = set(keys[:position]) | set(keys[position + 1 :])
            for equivalent in sorted(self._equivalents.get(key, ())):
                # Two words of one group side by side ("imprimer sur l'imprimante") are
                # not a phrase of that group ("imprimante multifonction").
                if others & ({equivalent} | self._equivalents[equivalent]):
                    continue
                found = self.expand((*keys[:position], equivalent, *keys[position + 1 :]))
                if found:
                    return found
        return []

    def expand_strict(self, words: Sequence[_Phrase]) -> list[str]:
        """Alternatives of a phrase written with its stop words, word for word."""
        found = self._strict.get(tuple(_strict_key(w) for w in words))
        return list(found) if found else []

    def knows(self, key: str) -> bool:
        """Whether a word with this key appears in the dictionary."""
        return key in self._known

    def __contains__(self, key: tuple[str, ...]) -> bool:
        return key in self._expansions

    def __len__(self) -> int:
        return len(self._expansions)

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> Synonyms:
        """Groups from text lines in the `synonyms_fr.txt` format."""
        groups: list[list[str]] = []
        for raw in lines:
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if "=>" in line:
                left, right = line.split("=>", 1)
                groups.append([*_split_phrases(left), "=>", *_split_phrases(right)])
            else:
                groups.append(_split_phrases(line))
        return cls(groups)

    @classmethod
    def default(cls) -> Synonyms:
        """The curated French IT synonyms of `data/synonyms_fr.txt` (built once)."""
        return _default_synonyms()


def _split_phrases(text: str) -> list[str]:
    separator = "|" if "|" in text else ","
    return [p.strip() for p in text.split(separator) if p.strip()]


@cache
def _default_synonyms() -> Synonyms:
    return Synonyms.from_lines(_data_lines("synonyms_fr.txt"))


# --- vocabulary ------------------------------------------------------------------------


class Vocabulary(Protocol):
    """What query analysis needs to know about the index terms."""

    def df(self, term: str) -> int:
        """Number of documents containing `term` (0 if unknown)."""
        ...

    def near(self, term: str) -> list[str]:
        """Index terms close to `term` (typo repair), best first."""
        ...

    def with_prefix(self, prefix: str, limit: int) -> list[str]:
        """Index terms starting with `prefix`, most frequent first."""
        ...


def max_typo_distance(term: str) -> int:
    """Edits allowed to repair a term: none below 4 letters, 1 up to 7, then 2."""
    if len(term) < 4:
        return 0
    return 1 if len(term) <= 7 else 2


class MemoryVocabulary:
    """A read-only `Vocabulary` over a mapping of index term -> document frequency."""

    def __init__(self, df: Mapping[str, int]) -> None:
        self._df: dict[str, int] = {t: n for t, n in df.items() if n > 0}
        by_length: dict[int, list[str]] = defaultdict(list)
        for term in self._df:
            by_length[len(term)].append(term)
        self._by_length = dict(by_length)
        self._sorted = sorted(self._df)

    def df(self, term: str) -> int:
        """Document frequency of `term`."""
        return self._df.get(term, 0)

    def __len__(self) -> int:
        return len(self._df)

    def near(self, term: str) -> list[str]:
        """Known terms within `max_typo_distance` edits (transpositions count as one).

        Best first: fewest edits, same first letter, most frequent.
        """
        limit = max_typo_distance(term)
        if not limit:
            return []
        found: list[tuple[int, int, int, str]] = []
        for length in range(len(term) - limit, len(term) + limit + 1):
            bucket = self._by_length.get(length)
            if not bucket:
                continue
            for candidate, distance, _ in process.extract(
                term, bucket, scorer=OSA.distance, score_cutoff=limit, limit=None
            ):
                if candidate != term:
                    first = 0 if candidate[:1] == term[:1] else 1
                    found.append((distance, first, -self._df[candidate], candidate))
        found.sort()
        return [c for *_, c in found]

    def with_prefix(self, prefix: str, limit: int) -> list[str]:
        """Known terms starting with `prefix`, most frequent first."""
        from bisect import bisect_left

        start = bisect_left(self._sorted, prefix)
        matches: list[str] = []
        for term in self._sorted[start:]:
            if not term.startswith(prefix):
                break
            matches.append(term)
        matches.sort(key=lambda t: (-self._df[t], t))
        return matches[:limit]


# --- queries ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryTerm:
    """One alternative of a query concept: index term(s), weight and origin.

    `term` holds one index term, or a phrase: several index terms separated by a space.
    `source` is "query", "synonym", "typo" or "prefix".
    """

    term: str
    weight: float
    source: str

    @property
    def parts(self) -> tuple[str, ...]:
        """The index terms of this alternative."""
        return tuple(self.term.split(" "))


@dataclass(frozen=True)
class Query:
    """An analysed query: one tuple of alternatives per concept of the text."""

    text: str
    concepts: tuple[tuple[QueryTerm, ...], ...]
    suggestion: str | None = None

    def terms(self) -> set[str]:
        """Every index term of every alternative (for candidate retrieval)."""
        return {part for concept in self.concepts for qt in concept for part in qt.parts}


def _query_words(text: str) -> list[_Phrase]:
    """Words of a query with their matching keys (stop words kept as "" keys)."""
    out: list[_Phrase] = []
    for match in _WORD.finditer(fold(text)):
        raw = match.group()
        parts = tuple(_split_word(raw))
        if not parts:
            continue
        if len(parts) == 1:
            out.append(_Phrase(_key(parts[0]), raw, parts))
        else:
            out.append(_Phrase(stem("".join(parts)), raw, parts))
    return out


def _edits1(word: str) -> list[str]:
    """Words one edit away (Norvig), in a fixed order: the likelier typos first (transposed or
    replaced letters, then a letter too many, then one missing), so that repair is
    deterministic."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in letters]
    inserts = [a + c + b for a, b in splits for c in letters]
    return list(dict.fromkeys(transposes + replaces + deletes + inserts))


def _repair(word: str, term: str, vocabulary: Vocabulary) -> list[tuple[str, str]]:
    """(index term, corrected word) pairs for an unknown word, best first."""
    if max_typo_distance(word) == 0:
        return []
    fixes: list[tuple[str, str]] = []
    for candidate in vocabulary.near(term)[:TYPO_LIMIT]:
        # Keep the typed ending so that the suggestion reads as a word.
        corrected = candidate + word[len(term) :] if word.startswith(term) else candidate
        fixes.append((candidate, corrected))
    if fixes:
        return fixes
    # A typo can change the stem entirely ("imprimente" does not stem like "imprimante"):
    # try the stems of the words one edit away from the typed word.
    best: dict[str, tuple[int, str]] = {}
    for variant in _edits1(word):
        candidate = stem(variant)
        if candidate and candidate != term:
            df = vocabulary.df(candidate)
            if df and candidate not in best:
                best[candidate] = (df, variant)
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))
    return [(t, v) for t, (_, v) in ranked[:TYPO_LIMIT]]


def analyse_query(
    text: str,
    synonyms: Synonyms,
    vocabulary: Vocabulary | None = None,
    *,
    prefix: bool = False,
) -> Query:
    """Analyse a query typed by staff into concepts with weighted alternatives.

    Synonym phrases are matched greedily (longest first) on stems; a word that no index
    term matches is repaired against `vocabulary` when one is given; with `prefix`, the
    last word may be incomplete and also expands to the index terms it starts.
    """
    words = _query_words(_DRIVE.sub(r"lecteur \1", text))
    concepts: list[tuple[QueryTerm, ...]] = []
    corrections: dict[str, str] = {}
    i = 0
    while i < len(words):
        word = words[i]
        used, expansions = _synonym_phrase(words, i, synonyms)
        if not word.key and not expansions:
            i += 1
            continue
        alternatives: dict[str, QueryTerm] = {
            alternative: QueryTerm(alternative, SYNONYM_WEIGHT, "synonym")
            for alternative in expansions
        }
        typed = " ".join(
            t for w in words[i : i + used] if w.key != _NEGATION_MARK for t in _own_terms(w)
        )
        if typed:
            alternatives[typed] = QueryTerm(typed, 1.0, "query")
        if used == 1 and len(word.parts) > 1:
            joined_parts = " ".join(t for t in (stem(p) for p in word.parts) if t)
            if joined_parts and joined_parts != typed:
                alternatives[joined_parts] = QueryTerm(joined_parts, 1.0, "query")
        is_last = i + used >= len(words)
        if (
            vocabulary is not None
            and word.key
            and used == 1
            and len(word.parts) == 1
            and word.key != _NEGATION_MARK
        ):
            surface = word.parts[0]
            for variant, weight in _variants(surface, word.key):
                if vocabulary.df(variant):
                    alternatives.setdefault(variant, QueryTerm(variant, weight, "variant"))
            if prefix and is_last:
                for term in _prefix_terms(surface, word.key, vocabulary):
                    alternatives.setdefault(term, QueryTerm(term, PREFIX_WEIGHT, "prefix"))
            elif not synonyms.knows(word.key) and not any(
                all(vocabulary.df(p) for p in qt.parts) for qt in alternatives.values()
            ):
                fixes = _repair(surface, word.key, vocabulary)
                for rank, (term, _) in enumerate(fixes):
                    weight = TYPO_WEIGHT if rank == 0 else TYPO_WEIGHT * 0.75
                    alternatives.setdefault(term, QueryTerm(term, weight, "typo"))
                    for expansion in synonyms.expand((term,)):
                        alternatives.setdefault(
                            expansion, QueryTerm(expansion, weight * SYNONYM_WEIGHT, "synonym")
                        )
                if fixes:
                    corrections[word.text] = fixes[0][1]
        if alternatives:
            ordered = sorted(alternatives.values(), key=lambda qt: (-qt.weight, qt.term))
            concepts.append(tuple(ordered))
        i += used
    suggestion = _suggest(text, corrections) if corrections else None
    return Query(text=text, concepts=tuple(concepts), suggestion=suggestion)


# A drive letter ("P:", "s:") is a network or local drive: "lecteur p".
_DRIVE = re.compile(r"(?<![\w:/\\])([a-zA-Z]):(?=$|[\s,.;!?)])")


def _synonym_phrase(words: Sequence[_Phrase], i: int, synonyms: Synonyms) -> tuple[int, list[str]]:
    """(words used, alternatives) of the longest synonym phrase starting at word `i`.

    A phrase is matched on the stems of its words, stop words skipped, and with its words
    replaced by their one-word equivalents; a phrase that holds stop words also matches word
    for word. (1, []) when no phrase starts here.
    """
    best: tuple[int, list[str]] = (1, [])
    for n in range(min(synonyms.strict_max_words, len(words) - i), 0, -1):
        expansions = synonyms.expand_strict(words[i : i + n])
        if expansions:
            # What the same words mean without their stop words still applies ("tel pro":
            # also what "pro" means).
            own = tuple(w.key for w in words[i : i + n] if w.key)
            more = synonyms.expand_equivalent(own) if own else []
            best = (n, list(dict.fromkeys(expansions + more)))
            break
    if not words[i].key:
        return best
    keys: list[str] = []
    positions: list[int] = []
    j = i
    while j < len(words) and len(keys) < synonyms.max_words:
        if words[j].key:
            keys.append(words[j].key)
            positions.append(j)
        j += 1
    for n in range(len(keys), 0, -1):
        expansions = synonyms.expand_equivalent(tuple(keys[:n]))
        if expansions:
            used = positions[n - 1] - i + 1
            if used > best[0] or not best[1]:
                best = (used, expansions)
            break
    return best


def _variants(word: str, term: str) -> list[tuple[str, float]]:
    """Index terms of other forms of a query word, with their weights.

    Snowball keeps the plural "s" after a vowel ("photos", "essais", "applis") and stems
    some plurals differently from their singular ("connexions", "scanners"): the word with
    and without its "s" is the same word.
    """
    found: dict[str, float] = {}
    other = word[:-1] if word.endswith("s") and not word.endswith("ss") else word + "s"
    forms = [other] if len(other) > 3 else []
    # Snowball leaves the verb ending "-ent" ("fonctionnent", "s'affichent"), to spare nouns
    # such as "moment": the same verb in the singular is its other form.
    if word.endswith("ent") and len(word) >= 7:
        forms.append(word[:-2])
    elif word.endswith("e") and len(word) >= 5:
        forms.append(word + "nt")
    forms += _irregular_forms().get(word, ())
    for form in forms:
        found.setdefault(stem(form), 1.0)
    found.pop(term, None)
    found.pop("", None)
    return sorted(found.items())


@cache
def _irregular_forms() -> dict[str, tuple[str, ...]]:
    """Folded form -> the other forms of its verb, from `data/verbs_fr.txt` (verbs whose
    forms Snowball stems apart: "reçois", "recevez", "reçu")."""
    forms: dict[str, tuple[str, ...]] = {}
    for line in _data_lines("verbs_fr.txt"):
        group = tuple(dict.fromkeys(fold(w) for w in line.split()))
        for word in group:
            forms[word] = tuple(w for w in group if w != word)
    return forms


def _phrase_terms(phrase: str) -> list[str]:
    """Index terms of a phrase as a query word sequence (hyphenated words joined)."""
    return [t for w in _query_words(phrase) for t in _own_terms(w)]


def _own_terms(word: _Phrase) -> list[str]:
    """Index terms of a query word as typed (joined form for a hyphenated word)."""
    if len(word.parts) > 1:
        return [word.key] if word.key else []
    term = stem(word.parts[0])
    return [term] if term else []


def _prefix_terms(surface: str, term: str, vocabulary: Vocabulary) -> list[str]:
    """Index terms an incomplete last word may stand for, most frequent first."""
    found: dict[str, None] = {}
    for start in (surface, term):
        if len(start) >= 2:
            for candidate in vocabulary.with_prefix(start, PREFIX_LIMIT):
                found[candidate] = None
    # A complete word's own stem can be shorter than the typed text ("imprimante").
    found.pop(term, None)
    return list(found)[:PREFIX_LIMIT]


def _suggest(text: str, corrections: Mapping[str, str]) -> str:
    """The query text with each repaired word replaced (folded, lowercase)."""
    words = [corrections.get(match.group(), match.group()) for match in _WORD.finditer(fold(text))]
    return " ".join(words)
