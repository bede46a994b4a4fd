"""Ranks the knowledge base's facts and question entries for a message (BM25 over lemmas and stems).

One index serves all three languages: each fact is indexed by its text in English, Ukrainian and
Russian together, and a message is read word by word (Cyrillic words as pymorphy3 lemmas, Latin
words as Snowball stems), so a message that mixes Ukrainian and Russian still finds its facts.
Besides BM25's ranking, each hit carries its *coverage*: the share of the message's informative
words (weighted by how rare they are) that the fact contains. Coverage is what the dialogue's
thresholds read, because it means the same for a short and a long message.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import bm25s
import numpy as np
import Stemmer

from pobyt.engine.facts import Fact, all_facts, procedure_names
from pobyt.kb.models import KnowledgeBase
from pobyt.kb.search import tokens

#: Words that say how a person asks, not what about; they never make a fact relevant.
QUESTION_WORDS = frozenset(
    """hi hello hey thanks thank please help question slovakia here now still already also just
    yes no ok okay так ні да нет ок добре хорошо have has had cost price
    скільки сколько скіки коштувати вартість ціна стоить стоимость цена
    вітаю привіт добрий день дякую будь ласка допоможіть питання словаччина тут зараз ще вже також
    здравствуйте привет добрый спасибо пожалуйста помогите вопрос словакия сейчас еще уже тоже
    im ive dont cant he she him her his they them their our us was were been so but not all one
    а і и що что є есть быть бути не по за из із мы ми він вона воно вони он она оно они його її их їх
    кто хто или або куди куда якщо если щоб чтобы але но весь усе маю это це этот цей там свій свой""".split()
)


@functools.lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


#: Texts whose analysis is kept: a message (and what it asks without its names) is analysed by
#: several decisions of one reply, and a question entry's text by every search that finds it.
ANALYSE_CACHE_SIZE = 512
#: Word lists whose BM25 scores each index keeps: one reply searches the same words several times
#: (question entries, then the procedure's statements).
SCORES_CACHE_SIZE = 64


def analyse(text: str) -> List[str]:
    """Returns the informative words of ``text``: Cyrillic lemmas, English stems, no stopwords."""
    return list(_analysed(text))


@functools.lru_cache(maxsize=ANALYSE_CACHE_SIZE)
def _analysed(text: str) -> Tuple[str, ...]:
    # A tuple, so that no caller can change what the next one gets.
    words = [t for t in tokens(text) if t not in QUESTION_WORDS]
    return tuple(_stemmer().stemWord(w) if w.isascii() and w.isalpha() else w for w in words)


@dataclass(frozen=True)
class Hit:
    """A fact found for a message: BM25 score, coverage of the message (0 to 1), words in common."""

    fact: Fact
    score: float
    coverage: float
    matched: int = 0


class FactIndex:
    """A BM25 index of facts; built once per knowledge base (see :func:`fact_index`)."""

    def __init__(self, facts: Sequence[Fact]) -> None:
        #: One document per position; a question entry has one per way it is asked.
        self.facts: List[Fact] = []
        self._tokens: List[frozenset] = []
        corpus: List[List[str]] = []
        for fact in facts:
            # A question entry is found by how it is asked (question and variants), not by its
            # answer, whose words ("yes", "permit") would make it match unrelated messages; each
            # phrasing is its own document, so a message must match one way of asking well (a long
            # variant's words do not add to every other variant's). Any other fact, a whole
            # procedure's document included, is one document.
            if fact.kind == "question":
                documents = fact.search_texts
            else:
                documents = (" ".join(fact.search_texts or fact.texts.values()),)
            for text in documents:
                words = analyse(text)
                self.facts.append(fact)
                corpus.append(words or ["_"])
                self._tokens.append(frozenset(words))
        self._bm25 = bm25s.BM25()
        self._bm25.index(corpus, show_progress=False)
        frequency: Dict[str, int] = {}
        for words in self._tokens:
            for word in words:
                frequency[word] = frequency.get(word, 0) + 1
        total = len(self.facts)
        self._idf = {word: math.log(1 + total / count) for word, count in frequency.items()}
        #: Words no fact contains weigh as much as the rarest known word: they lower coverage.
        self._unknown_idf = math.log(1 + total)
        self._by_procedure: Dict[Optional[str], List[int]] = {}
        self._searched: Dict[str, frozenset] = {}
        for position, fact in enumerate(self.facts):
            self._by_procedure.setdefault(fact.procedure, []).append(position)
            if fact.search_texts:
                self._searched[fact.id] = self._searched.get(fact.id, frozenset()) | self._tokens[position]
        self._scores = functools.lru_cache(maxsize=SCORES_CACHE_SIZE)(self._bm25_scores)

    def _bm25_scores(self, known: Tuple[str, ...]) -> np.ndarray:
        """Returns the BM25 score of every fact for the indexed words ``known`` (read-only)."""
        scores = self._bm25.get_scores(list(known))
        scores.flags.writeable = False  # shared by the searches of the same words
        return scores

    def weight(self, word: str) -> float:
        """Returns how informative ``word`` is (inverse document frequency)."""
        return self._idf.get(word, self._unknown_idf)

    def known(self, words: Sequence[str]) -> List[str]:
        """Returns the words of ``words`` that some fact contains."""
        return [w for w in words if w in self._idf]

    def vocabulary(self, position: int) -> frozenset:
        """Returns the words of the fact at ``position``."""
        return self._tokens[position]

    def searched_words(self, fact: Fact) -> frozenset:
        """Returns the analysed words of ``fact.search_texts`` (empty when it has none).

        The same as ``set(analyse(" ".join(fact.search_texts)))``, read from the index instead of
        analysing the texts again for every message that finds the fact.
        """
        if not fact.search_texts:
            return frozenset()
        words = self._searched.get(fact.id)
        return words if words is not None else frozenset(analyse(" ".join(fact.search_texts)))

    def coverage(self, words: Sequence[str], vocabulary: frozenset) -> float:
        """Returns the share of the weight of ``words`` that ``vocabulary`` contains."""
        unique = set(words)
        total = sum(self.weight(w) for w in unique)
        return sum(self.weight(w) for w in unique if w in vocabulary) / total if total else 0.0

    def search(
        self,
        words: Sequence[str],
        limit: int = 10,
        procedures: Optional[Iterable[Optional[str]]] = None,
        kinds: Optional[Iterable[str]] = None,
    ) -> List[Hit]:
        """Returns the best facts for the analysed ``words``, best first.

        Args:
            words: the message's words, from :func:`analyse`.
            limit: how many hits to return at most.
            procedures: only facts of these procedures (None: all).
            kinds: only facts of these kinds (``question``, ``conditions``...; None: all).
        """
        known = tuple(w for w in words if w in self._idf)
        if not known:
            return []
        scores = self._scores(known)
        if procedures is None:
            positions = np.arange(len(self.facts))
        else:
            positions = np.array(
                [p for proc in dict.fromkeys(procedures) for p in self._by_procedure.get(proc, ())], dtype=np.int64
            )
        # The facts with a positive score, found by numpy rather than a Python loop over every fact;
        # tolist() gives the same Python floats as float() of each score.
        positions = positions[scores[positions] > 0]
        wanted = set(kinds) if kinds is not None else None
        candidates = [
            (score, p)
            for score, p in zip(scores[positions].tolist(), positions.tolist(), strict=True)
            if wanted is None or self.facts[p].kind in wanted
        ]
        # A question entry counts once, by its best-matching phrasings: the best one's score, and the
        # words of its two best ("must I go myself, or can my lawyer file it" asks two variants at once).
        best: Dict[str, List[Tuple[float, int]]] = {}
        for score, p in sorted(candidates, reverse=True):
            found = best.setdefault(self.facts[p].id, [])
            if len(found) < 2:
                found.append((score, p))
        ranked = sorted(best.values(), key=lambda found: -found[0][0])[:limit]
        return [self._hit(words, found) for found in ranked]

    def _hit(self, words: Sequence[str], found: List[Tuple[float, int]]) -> Hit:
        """Returns the hit of one fact from its best-matching documents (score first)."""
        vocabulary = frozenset().union(*(self._tokens[p] for _, p in found))
        score, position = found[0]
        return Hit(self.facts[position], score, self.coverage(words, vocabulary), len(set(words) & vocabulary))


def procedure_documents(kb: KnowledgeBase) -> List[Fact]:
    """Returns one searchable document per procedure: its names and every statement about it.

    The whole text a procedure has in the knowledge base (titles, official name, aliases, purpose
    words, every fact and the question entries about it, in the three languages) is what a message
    that never names it is matched against ("my company in Poland sends me to Slovakia").
    """
    texts: Dict[str, List[str]] = {}
    for proc in kb.procedures.values():
        texts[proc.id] = procedure_names(proc)
    for fact in all_facts(kb):
        owners = [fact.procedure] if fact.procedure else []
        if fact.kind == "question":
            question = kb.questions[fact.id.split(":", 1)[1]]
            owners += question.procedures
        for owner in owners:
            if owner in texts:
                texts[owner] += [*fact.texts.values(), *fact.search_texts]
    return [Fact(proc_id, proc_id, None, "procedure", {"en": proc_id}, (), tuple(t)) for proc_id, t in texts.items()]


_INDEXES: Dict[Tuple[int, str], Tuple[KnowledgeBase, FactIndex]] = {}


def _cached(kb: KnowledgeBase, kind: str, build) -> FactIndex:
    cached = _INDEXES.get((id(kb), kind))
    if cached is None or cached[0] is not kb:
        cached = _INDEXES[(id(kb), kind)] = (kb, FactIndex(build(kb)))
    return cached[1]


def fact_index(kb: KnowledgeBase) -> FactIndex:
    """Returns the fact index of ``kb``, built on first use and kept for the process."""
    return _cached(kb, "facts", all_facts)


def procedure_index(kb: KnowledgeBase) -> FactIndex:
    """Returns the index of whole procedures (:func:`procedure_documents`), built on first use."""
    return _cached(kb, "procedures", procedure_documents)
