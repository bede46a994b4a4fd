"""What a message names: procedures, topics and offices, as Rasa entities (used by the NLU component)."""

from __future__ import annotations

import re
from typing import Any, Dict, List

from pobyt.kb.models import KnowledgeBase
from pobyt.kb.search import KnowledgeBaseSearch, Match, spanned_tokens

_INDEXES: Dict[int, tuple] = {}


def search_index(kb: KnowledgeBase) -> KnowledgeBaseSearch:
    """Returns the search index of ``kb``, built on first use and kept for the process."""
    cached = _INDEXES.get(id(kb))
    if cached is None or cached[0] is not kb:
        cached = _INDEXES[id(kb)] = (kb, KnowledgeBaseSearch(kb))
    return cached[1]


#: Matches this much below the best of their kind are not reported (they cannot change a decision).
REPORT_MARGIN = 0.05
#: Scores closer than this are equal for the "explains more of the message" rule.
TIE = 0.005


#: Numbers of years in names ("permanent residence for 5 years", "пмж на п'ять років").
_YEARS_NUMBER = re.compile(r"^(\d+|five|four|eight|пять|чотири|четыре|вісім|восемь)$")
#: Words before a number that make it time already spent, not a permit's length: "after 5 years",
#: "через 5 лет", "I've lived here 5 years", "вже 5 років".
_ELAPSED = re.compile(
    r"(after|since|already|almost|over|more than|lived|living|here|"
    r"після|через|вже|майже|понад|більше|живу|живемо|прожи\w*|тут|"
    r"после|уже|почти|более|больше|живем)\W*$",
    re.IGNORECASE,
)


def _names_elapsed_years(text: str, match: Match) -> bool:
    """True when the number of years a name gives is, in the message, time already spent.

    "после 5 лет внж можно на пмж?" shares every word of "пмж на 5 лет", but asks about permanent
    residence after five years of temporary residence, not about the five-year kind.
    """
    spanned = spanned_tokens(text)
    numbers = [p for p in match.words if p < len(spanned) and _YEARS_NUMBER.match(spanned[p][0])]
    return any(_ELAPSED.search(text[max(0, spanned[p][1] - 20) : spanned[p][1]]) for p in numbers)


def recognise(text: str, kb: KnowledgeBase) -> List[Dict[str, Any]]:
    """Returns the entities ``procedure``, ``topic`` and ``office`` named in ``text``, best first.

    Each entity's ``confidence`` is the match score (above 1 for long names matched completely),
    so that the dialogue can tell a clear winner from a tie; ``start`` and ``end`` span the words
    that matched. Only the best of each kind, and those tied with it, are reported.
    """
    matches = [m for m in search_index(kb).match(text, limit=12) if not _names_elapsed_years(text, m)]
    # A match whose words are a strict part of a better-or-equal match's words is that match's
    # generic parent ("permanent residence" inside "permanent residence for 5 years"): drop it.
    matches = [
        m for m in matches
        if not any(o is not m and m.words < o.words and o.score >= m.score - REPORT_MARGIN for o in matches)
    ]  # fmt: skip
    best: Dict[str, Match] = {}
    for match in matches:
        best.setdefault(match.kind, match)
    # Among matches as good as the best, the one that explains more of the message wins: "switch
    # from temporary protection to temporary residence" names the transition, not residence.
    kept = []
    for m in matches:
        top = best[m.kind]
        explained_better = any(
            o.kind == m.kind and len(o.words) > len(m.words) and o.score >= m.score - TIE for o in matches
        )
        if top.score - m.score < REPORT_MARGIN and not explained_better:
            kept.append(m)
    return [
        {"entity": m.kind, "value": m.id, "confidence": m.score, "start": m.start, "end": m.end,
         "matched_name": m.name}
        for m in kept
    ]  # fmt: skip
