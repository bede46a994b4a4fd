"""What a message names: procedures, topics and offices, as Rasa entities (used by the NLU component)."""

from __future__ import annotations

from typing import Any, Dict, List

from pobyt.kb.models import KnowledgeBase
from pobyt.kb.search import KnowledgeBaseSearch, Match

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


def recognise(text: str, kb: KnowledgeBase) -> List[Dict[str, Any]]:
    """Returns the entities ``procedure``, ``topic`` and ``office`` named in ``text``, best first.

    Each entity's ``confidence`` is the match score (above 1 for long names matched completely),
    so that the dialogue can tell a clear winner from a tie; ``start`` and ``end`` span the words
    that matched. Only the best of each kind, and those tied with it, are reported.
    """
    matches = search_index(kb).match(text, limit=12)
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
