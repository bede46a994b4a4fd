"""What a message names: procedures, topics and offices, as Rasa entities (used by the NLU component)."""

from __future__ import annotations

from typing import Any, Dict, List

from pobyt.kb.models import KnowledgeBase
from pobyt.kb.search import KnowledgeBaseSearch

_INDEXES: Dict[int, tuple] = {}


def search_index(kb: KnowledgeBase) -> KnowledgeBaseSearch:
    """Returns the search index of ``kb``, built on first use and kept for the process."""
    cached = _INDEXES.get(id(kb))
    if cached is None or cached[0] is not kb:
        cached = _INDEXES[id(kb)] = (kb, KnowledgeBaseSearch(kb))
    return cached[1]


def recognise(text: str, kb: KnowledgeBase) -> List[Dict[str, Any]]:
    """Returns the entities ``procedure``, ``topic`` and ``office`` named in ``text``, best first.

    Each entity's ``confidence`` is the match score (above 1 for long names matched completely),
    so that the dialogue can tell a clear winner from a tie.
    """
    return [
        {"entity": match.kind, "value": match.id, "confidence": match.score, "start": 0, "end": len(text),
         "matched_name": match.name}
        for match in search_index(kb).match(text)
    ]  # fmt: skip
