"""The one search over the knowledge base: which procedures or topics a message names.

Matching works on the knowledge base's own titles, official names and aliases, so a new or
renamed entry is recognised without new training examples. Tokens match exactly, by a shared
stem (inflected forms: "residences", "посвідки") or by a close spelling (typos).
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

from pobyt.kb.models import LANGUAGES, KnowledgeBase
from pobyt.lemmas import known_in, lemma

_CYRILLIC_WORD = re.compile(r"^[а-яіїєґ]+$")
_TOKEN = re.compile(r"\w+(?:['’ʼ]\w+)*", re.UNICODE)
_APOSTROPHES = re.compile(r"['’ʼ]")

#: Words that carry no meaning for recognising a procedure.
STOPWORDS: FrozenSet[str] = frozenset(
    """a an the of for to in on at by with and or from about my me i you your we our is are am be
    do does did what which how who where when can could should would will need needed want get
    apply applying application please tell info information it this that there some any as if
    much many cost costs costing fee fees documents document papers paper
    over under since until than then very just only into out off again
    і й та в у на до для з із про що як де коли чи мені мене я ви ваш мій моя яка який які це
    и в во на до для с со о об что как где когда ли мне меня я вы ваш мой моя какая какой какие это
    purpose мета метою мети ціль цель целью цели треба потрібно потрібні потрібен нужно нужны нужен надо""".split()
)
#: The smallest score at which a name counts as recognised in a message.
THRESHOLD = 0.75
#: Score taken off per message word between the words that matched a name, up to the maximum.
GAP_PENALTY = 0.01
MAX_GAP_PENALTY = 0.03
#: Added to a general procedure's score, per purpose word of one of its kinds in the message...
PURPOSE_BONUS = 0.03
#: A purpose word must match at least this well: a stem, not an abbreviation ("довго" is "long",
#: not "довгострокове") nor a typo.
PURPOSE_MIN_SIMILARITY = 0.9
#: ...less this per message word between the purpose word and the general name, up to the maximum.
PURPOSE_DISTANCE_PENALTY = 0.002
MAX_PURPOSE_DISTANCE_PENALTY = 0.01


#: Latin letters that look like Cyrillic ones, typed by people who switch keyboard layouts
#: ("мiграцiйний" with a Latin "i"): inside a word that has Cyrillic letters they are read as Cyrillic.
_LOOKALIKES = str.maketrans("aceiopxyk", "асеіорхук")
_MIXED_WORD = re.compile(r"\w*[а-яіїєґ]\w*", re.UNICODE)


def normalise(text: str) -> str:
    """Lower-cases ``text`` and removes diacritics from Latin letters ("útočisko" -> "utocisko").

    Cyrillic letters keep their marks: "й" and "ї" are letters of their own, not accented ones.
    Latin look-alike letters inside a Cyrillic word become Cyrillic ("мiграцiйний").
    """
    text = "".join(map(_latin_base, unicodedata.normalize("NFC", text.lower()))).replace("ё", "е")
    return _MIXED_WORD.sub(lambda m: m.group().translate(_LOOKALIKES), text)


@functools.lru_cache(maxsize=4096)
def _latin_base(char: str) -> str:
    """Returns a Latin letter with diacritics without them ("ú" -> "u"); other characters unchanged."""
    # Cached per character: a text has few distinct ones, and decomposing each was most of normalise().
    base = unicodedata.normalize("NFD", char)[0]
    return base if "a" <= base <= "z" and not ("a" <= char <= "z") else char


#: Message words whose similar name tokens each search index keeps (a word is looked up once).
SIMILAR_CACHE_SIZE = 16384
#: Messages whose matches each search index keeps (one message is matched several times).
MATCHES_CACHE_SIZE = 256
#: Texts whose tokens are kept: one message is tokenised by the entity extractor, the answer engine
#: and the dialogue's decisions, often several times each; a few hundred covers the messages in flight.
TOKENS_CACHE_SIZE = 512


def tokens(text: str) -> List[str]:
    """Splits ``text`` into normalised word tokens (Cyrillic words as lemmas), without stopwords."""
    return [token for token, _, _ in _spanned_tokens(text)]


def spanned_tokens(text: str) -> List[Tuple[str, int, int]]:
    """Like :func:`tokens`, with each token's start and end offsets in ``text``."""
    return list(_spanned_tokens(text))


@functools.lru_cache(maxsize=TOKENS_CACHE_SIZE)
def _spanned_tokens(text: str) -> Tuple[Tuple[str, int, int], ...]:
    # A tuple, so that no caller can change what the next one gets.
    # Apostrophes are dropped inside words ("возз'єднання" and "воззєднання" are one token).
    return tuple(
        (lemma(_APOSTROPHES.sub("", m.group())), m.start(), m.end())
        for m in _TOKEN.finditer(normalise(text))
        if m.group() not in STOPWORDS
    )


def token_similarity(a: str, b: str) -> float:
    """Returns how well two tokens match: 1 equal, 0.9 same stem, 0.8 a typo, else 0."""
    if a == b:
        return 1.0
    if a.isdigit() or b.isdigit():
        return 0.0
    shorter = min(len(a), len(b))
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    if shorter >= 4 and common >= max(4, shorter - 2) and abs(len(a) - len(b)) <= 4:
        return 0.9
    if shorter >= 4 and common == shorter:
        return 0.85  # an abbreviation: "temp" for "temporary"
    if both_words(a, b):
        return 0.0  # "приехать" is not a typo of "переехать": both are words of the language
    if shorter >= 4 and len(a) == len(b) and a[0] == b[0] and sorted(a) == sorted(b):
        return 0.8  # two letters swapped: "crad" for "card"
    # A typo keeps the first letter and the length of a word of six letters or more.
    if shorter >= 6 and a[0] == b[0] and _close_spelling(a, b):
        return 0.8
    return 0.0


def both_words(a: str, b: str) -> bool:
    """True when the Ukrainian or the Russian dictionary knows both Cyrillic tokens (neither is a typo)."""
    if not (_CYRILLIC_WORD.match(a) and _CYRILLIC_WORD.match(b)):
        return False
    return any(known_in(language, a) and known_in(language, b) for language in ("ru", "uk"))


def _close_spelling(a: str, b: str) -> bool:
    """True when difflib's ratio of ``a`` and ``b`` is at least 0.8.

    Most pairs fail on the cheap upper bounds of the ratio (lengths, then letters in common, as
    ``difflib.get_close_matches`` does), so the costly matching blocks are computed for few.
    """
    # real_quick_ratio() without building the matcher: the same expression, so the same float.
    if 2.0 * min(len(a), len(b)) / (len(a) + len(b)) < 0.8:
        return False
    matcher = difflib.SequenceMatcher(None, a, b)
    return matcher.quick_ratio() >= 0.8 and matcher.ratio() >= 0.8


def _best_positions(similarities: Dict[Tuple[int, str], float]) -> Dict[str, Tuple[float, int]]:
    """Returns, per name token, its best similarity to a query token and that token's position.

    ``similarities`` maps (query position, name token) to their positive similarity. Of equal
    similarities the last position wins. Computed once per message, instead of once per name token
    of every candidate name.
    """
    best: Dict[str, Tuple[float, int]] = {}
    for (position, token), similarity in similarities.items():
        if (similarity, position) > best.get(token, (0.0, -1)):
            best[token] = (similarity, position)
    return best


def _aligned(name: Sequence[str], best: Dict[str, Tuple[float, int]]) -> Tuple[float, List[int]]:
    """Returns the name's score and the positions of the query tokens that matched it.

    ``best`` is :func:`_best_positions` of the message; a name token missing from it matched nothing.
    """
    if not name:
        return 0.0, []
    total, used = 0.0, []
    for n in name:
        similarity, position = best.get(n, (0.0, 0))
        total += similarity
        if similarity > 0:
            used.append(position)
    return total / len(name), used


@dataclass(frozen=True)
class Match:
    """A recognised procedure or topic with its score and the name that matched."""

    kind: str  # "procedure", "topic" or "office"
    id: str
    score: float
    name: str
    start: int = 0
    end: int = 0
    words: FrozenSet[int] = frozenset()  # positions of the message's words that matched


@dataclass(frozen=True)
class _Entry:
    kind: str
    id: str
    language: str
    name: str
    tokens: Tuple[str, ...]


class KnowledgeBaseSearch:
    """An index of every name of every procedure and topic, built once per knowledge base."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._entries: List[_Entry] = []
        # Every positive similarity keeps the first letter, so name tokens are grouped by it, and
        # each token lists the entries that use it: a message is compared with few candidates.
        self._vocabulary: Dict[str, set] = {}
        self._entries_by_token: Dict[str, List[int]] = {}
        # General procedure or topic id -> (kind of it, its purpose words as token tuples with the word).
        self._purposes: Dict[str, List[Tuple[str, Tuple[str, ...], str]]] = {}
        for proc in kb.procedures.values():
            names: List[Tuple[str, str]] = [(lang, proc.title.get(lang)) for lang in LANGUAGES]
            names += list(proc.aliases.all())
            if proc.official_name:
                names.append(("sk", proc.official_name))
            self._add("procedure", proc.id, names)
        for topic in kb.topics.values():
            names = [(lang, topic.title.get(lang)) for lang in LANGUAGES] + list(topic.aliases.all())
            self._add("topic", topic.id, names)
        for office in kb.offices.values():
            names = [(lang, office.name.get(lang)) for lang in LANGUAGES] + list(office.aliases.all())
            if office.official_name:
                names.append(("sk", office.official_name))
            self._add("office", office.id, names)
        for proc in kb.procedures.values():
            if proc.part_of:
                for _, word in proc.purpose_words.all():
                    word_tokens = tuple(tokens(word))
                    for token in word_tokens:
                        self._vocabulary.setdefault(token[:1], set()).add(token)
                    if word_tokens:
                        self._purposes.setdefault(proc.part_of, []).append((proc.id, word_tokens, word))
        # A name token's specificity: 1 when it names one or two entries, less the more it names.
        owners: Dict[str, set] = {}
        for entry in self._entries:
            for token in entry.tokens:
                owners.setdefault(token, set()).add((entry.kind, entry.id))
        self._specificity = {token: min(1.0, 2.0 / len(ids)) for token, ids in owners.items()}
        # Per instance, since both depend on this knowledge base's names: a message word's similar
        # name tokens (the same words recur in every message), and a message's matches (the entity
        # extractor, the dialogue and the suggestions all match the same message).
        self._similar = functools.lru_cache(maxsize=SIMILAR_CACHE_SIZE)(self._similar_tokens)
        self._matches = functools.lru_cache(maxsize=MATCHES_CACHE_SIZE)(self._all_matches)

    def _add(self, kind: str, item_id: str, names: Iterable[Tuple[str, str]]) -> None:
        seen = set()
        for language, name in names:
            name_tokens = tuple(tokens(name))
            if name_tokens and name_tokens not in seen:
                seen.add(name_tokens)
                for token in set(name_tokens):
                    self._vocabulary.setdefault(token[:1], set()).add(token)
                    self._entries_by_token.setdefault(token, []).append(len(self._entries))
                self._entries.append(_Entry(kind, item_id, language, name, name_tokens))

    def _similar_tokens(self, word: str) -> Tuple[Tuple[str, float], ...]:
        """Returns the name tokens similar to the message token ``word``, with their similarity."""
        found = ((token, token_similarity(word, token)) for token in self._vocabulary.get(word[:1], ()))
        return tuple((token, similarity) for token, similarity in found if similarity > 0)

    def match(self, text: str, limit: int = 5) -> List[Match]:
        """Returns the procedures, topics and offices named in ``text``, best first.

        A longer name matched completely ranks above a shorter one ("temporary residence for
        study" beats "temporary residence"), so the most specific entry wins.
        """
        return list(self._matches(text)[:limit])

    def _all_matches(self, text: str) -> Tuple[Match, ...]:
        """Returns every match of ``text``, best first (:meth:`match` without the limit)."""
        spanned = spanned_tokens(text)
        query = [token for token, _, _ in spanned]
        similarities: Dict[Tuple[int, str], float] = {}
        candidates: set = set()
        for position, q in enumerate(query):
            for token, similarity in self._similar(q):
                similarities[(position, token)] = similarity
                candidates.update(self._entries_by_token.get(token, ()))
        aligned = _best_positions(similarities)
        best: Dict[Tuple[str, str], Match] = {}
        for entry in (self._entries[i] for i in sorted(candidates)):
            score, used = _aligned(entry.tokens, aligned)
            if score < THRESHOLD:
                continue
            # A name whose words lie apart in the message ("долго рассматривают прехидный побыт"
            # for "долгосрочный побыт") is a weaker match than one read as a phrase.
            gaps = max(used) - min(used) + 1 - len(set(used))
            # Longer names rank higher, by how specific their words are: "study" (one procedure)
            # tells more than "permit" (many), so "temporary residence permit for study" names
            # the study permit, not the generic one.
            bonus = 0.02 * sum(self._specificity[token] for token in entry.tokens)
            ranked = score + bonus - min(GAP_PENALTY * gaps, MAX_GAP_PENALTY)
            key = (entry.kind, entry.id)
            if key not in best or ranked > best[key].score:
                start, end = spanned[min(used)][1], spanned[max(used)][2]
                best[key] = Match(entry.kind, entry.id, round(ranked, 4), entry.name, start, end, frozenset(used))
        self._add_kinds_by_purpose(best, spanned, aligned)
        return tuple(sorted(best.values(), key=lambda m: (-m.score, m.kind, m.id)))

    def _add_kinds_by_purpose(
        self,
        best: Dict[Tuple[str, str], Match],
        spanned: List[Tuple[str, int, int]],
        aligned: Dict[str, Tuple[float, int]],
    ) -> None:
        """Adds the kinds of a named general procedure whose purpose the message also names.

        "trp for study" names temporary residence (an alias) and a purpose word of the study
        permit: the study permit then scores a little above temporary residence, and spans both.
        """
        named = list(best.values())
        for (kind, parent_id), parent in list(best.items()):
            # A general name read inside a longer one ("побут" in "толерований побут") is not named.
            if kind not in ("procedure", "topic") or any(
                parent.words < other.words and other.score >= parent.score - PURPOSE_BONUS for other in named
            ):
                continue
            # Per kind: the message positions its purpose words matched, and their bonus. Several
            # purposes may be named ("my wife has a work permit, I want to join her"): the kind with
            # more of its words, nearer the general name, wins.
            found: Dict[str, Tuple[set, float, List[str]]] = {}
            for child_id, word_tokens, word in self._purposes.get(parent_id, ()):
                score, used = _aligned(word_tokens, aligned)
                positions, bonus, words = found.get(child_id, (set(), 0.0, []))
                if score < PURPOSE_MIN_SIMILARITY or parent.words & set(used) or positions & set(used):
                    continue
                distance = min(abs(p - q) for p in used for q in parent.words) - 1
                penalty = min(PURPOSE_DISTANCE_PENALTY * max(distance, 0), MAX_PURPOSE_DISTANCE_PENALTY)
                found[child_id] = (positions | set(used), bonus + PURPOSE_BONUS * score - penalty, words + [word])
            for child_id, (positions, bonus, words) in found.items():
                ranked = round(parent.score + bonus, 4)
                key = ("procedure", child_id)
                if key not in best or ranked > best[key].score:
                    start = min(parent.start, min(spanned[p][1] for p in positions))
                    end = max(parent.end, max(spanned[p][2] for p in positions))
                    name = f"{parent.name} + {', '.join(words)}"
                    words_used = parent.words | frozenset(positions)
                    best[key] = Match("procedure", child_id, ranked, name, start, end, words_used)

    def best(self, text: str) -> Optional[Match]:
        """Returns the single best match, or None when nothing is named."""
        matches = self.match(text, limit=1)
        return matches[0] if matches else None
