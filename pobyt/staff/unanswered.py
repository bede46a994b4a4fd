"""The recent questions the assistant could not answer, read from Rasa's SQL tracker store.

A user message counts when its intent was ``nlu_fallback`` or ``out_of_scope``, or when the next
action was ``action_fallback``. Messages are grouped by their normalised text, most frequent first.
Button payloads (``/intent{...}``) are not questions and are skipped.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Tuple

FALLBACK_INTENTS = ("nlu_fallback", "out_of_scope")
FALLBACK_ACTION = "action_fallback"
#: How far back the curators' view looks, and how many events it reads at most.
DEFAULT_DAYS = 30
MAX_EVENTS = 50_000
_PUNCTUATION = re.compile(r"[^\w\s']+")

#: One row of Rasa's ``events`` table: (sender_id, type_name, intent_name, action_name, timestamp, data).
EventRow = Tuple[str, str, Optional[str], Optional[str], float, Optional[str]]


def normalise(text: str) -> str:
    """Lower case, no punctuation, single spaces: "Хочу  визу!" and "хочу визу" group together."""
    return " ".join(_PUNCTUATION.sub(" ", text.lower().replace("ё", "е")).split())


@dataclass
class Unanswered:
    """A question (as last written) with how often it went unanswered and when last."""

    text: str
    count: int
    last_seen: float

    def to_json(self) -> Dict[str, Any]:
        """Returns the group as a JSON-ready dict (``last_seen`` as Unix time)."""
        return {"text": self.text, "count": self.count, "last_seen": self.last_seen}


def group_unanswered(rows: Iterable[EventRow], limit: int = 100) -> List[Unanswered]:
    """Finds the unanswered user messages in ``rows`` (in event order) and groups them by text."""
    pending: Dict[str, Tuple[str, float]] = {}  # sender -> the last user message not yet counted
    groups: Dict[str, Unanswered] = {}

    def count(text: str, timestamp: float) -> None:
        key = normalise(text)
        if not key:
            return
        group = groups.setdefault(key, Unanswered(text, 0, timestamp))
        group.count += 1
        if timestamp >= group.last_seen:
            group.text, group.last_seen = text, timestamp

    for sender, type_name, intent, action, timestamp, data in rows:
        if type_name == "user":
            pending.pop(sender, None)
            try:
                text = str(json.loads(data or "{}").get("text") or "")
            except ValueError:
                continue
            if not text.strip() or text.startswith("/"):
                continue
            if intent in FALLBACK_INTENTS:
                count(text, timestamp)
            else:
                pending[sender] = (text, timestamp)
        elif type_name == "action" and action == FALLBACK_ACTION and sender in pending:
            count(*pending.pop(sender))
    ranked = sorted(groups.values(), key=lambda g: (-g.count, -g.last_seen))
    return ranked[:limit]


def tracker_engine(tracker_store: Any) -> Any:
    """Returns a read-only engine of its own on Rasa's SQL tracker store (unwrapped), or None for other stores.

    Not the store's own engine: the view runs in a worker thread, and the store's one SQLite
    connection belongs to the event loop (see :func:`pobyt.storage.read_only_engine`).
    """
    from pobyt.privacy import underlying_stores  # Rasa's; imported here so the pure parts need nothing
    from pobyt.storage import read_only_engine

    for store in underlying_stores(tracker_store):
        if getattr(store, "engine", None) is not None:
            return read_only_engine(store)
    return None


def read_unanswered(engine: Any, days: float = DEFAULT_DAYS, limit: int = 100) -> List[Unanswered]:
    """Reads the last ``days`` of events (the newest MAX_EVENTS of them) from Rasa's ``events`` table and groups them.

    Args:
        engine: a read-only engine on the tracker store's database (:func:`tracker_engine`).
        days: how far back to look.
        limit: the most groups returned.
    """
    import sqlalchemy as sa  # Rasa's dependency; imported here so the pure parts need nothing

    query = sa.text(
        "SELECT sender_id, type_name, intent_name, action_name, timestamp, data FROM events"
        " WHERE type_name IN ('user', 'action') AND timestamp >= :since ORDER BY id DESC LIMIT :limit"
    )
    with engine.connect() as connection:
        rows = connection.execute(query, {"since": time.time() - days * 86400, "limit": MAX_EVENTS}).fetchall()
    # Read newest first (the window may hold more than MAX_EVENTS), grouped in event order.
    return group_unanswered((tuple(row) for row in reversed(rows)), limit)
