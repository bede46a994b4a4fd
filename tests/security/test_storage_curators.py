"""Fault: the curators' view (unanswered questions) must not lose or fail conversation turns.

It reads the tracker store in a worker thread. It used to share the store's one SQLite connection
with the event loop, and its connection pool's rollback ended the loop's open transaction: while it
ran, saves reported success and were missing, or failed "no transaction is active".
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, List

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from pobyt.staff.unanswered import MAX_EVENTS, read_unanswered, tracker_engine
from pobyt.storage import SQLiteTrackerStore
from tests.servers import ROOT

CONVERSATIONS = 40
TURNS = 5
#: Slots a turn sets.
SLOTS_PER_TURN = 3
#: Events one turn stores: the user's message, the answer's action, its slots, action_listen.
EVENTS_PER_TURN = 3 + SLOTS_PER_TURN


class CuratorsViewDuringSaves:
    """Opens the curators' view (in a worker thread, as the console does) in the middle of every save.

    Hooked on the tracker store's engine: after a save's first event is written and before it is
    committed, the view runs to its end. Errors the view meets are kept.
    """

    def __init__(self, store: SQLiteTrackerStore) -> None:
        self.store, self.runs, self.errors = store, 0, []  # type: ignore[var-annotated]
        sa.event.listen(store.engine, "after_cursor_execute", self._during_a_save)

    def _view(self) -> None:
        try:
            read_unanswered(tracker_engine(self.store))
            self.runs += 1
        except Exception as error:  # noqa: BLE001 - kept for the assertion
            self.errors.append(type(error).__name__)

    def _during_a_save(self, connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO EVENTS") and not self._inside:
            self._inside = True
            view = threading.Thread(target=self._view)
            view.start()
            view.join()  # the save waits: the view runs while the save's transaction is open

    _inside = False

    def next_save(self) -> None:
        """Lets the view run again during the next save."""
        self._inside = False


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def _stored_events(path: Path, sender_id: str = "") -> int:
    """Events in the file (of ``sender_id`` only, if given), read on a connection of the test's own."""
    with contextlib.closing(sqlite3.connect(path)) as connection:
        query = "SELECT count(*) FROM events" + (" WHERE sender_id = ?" if sender_id else "")
        return connection.execute(query, (sender_id,) if sender_id else ()).fetchone()[0]


async def test_every_turn_is_stored_while_the_curators_view_reads(domain: Domain, tmp_path: Path):
    path = tmp_path / "tracker.db"
    store = SQLiteTrackerStore(domain=domain, dialect="sqlite", db=str(path))
    views = CuratorsViewDuringSaves(store)
    lost: List[str] = []
    stored_turns = 0
    for number in range(CONVERSATIONS):
        tracker = DialogueStateTracker(f"person-{number}", domain.slots)
        for turn in range(TURNS):
            tracker.update(UserUttered(f"question {turn}", {"name": "nlu_fallback", "confidence": 0.2}))
            tracker.update(ActionExecuted("action_fallback"))
            for _ in range(SLOTS_PER_TURN):
                tracker.update(SlotSet("language", "en"))
            tracker.update(ActionExecuted("action_listen"))
            views.next_save()
            try:
                await store.save(tracker)
            except Exception as error:  # noqa: BLE001 - counted: the person's turn was not kept
                lost.append(type(error).__name__)
                continue
            # Checked at once: the next save would quietly add what this one lost.
            if _stored_events(path, tracker.sender_id) == len(tracker.events):
                stored_turns += 1
            else:
                lost.append("reported stored, but missing")
    sent = CONVERSATIONS * TURNS
    print(f"curators' view ran {views.runs} times during saves; turns stored {stored_turns} of {sent}")
    assert views.runs == sent and views.errors == []
    assert lost == [], f"{len(lost)} of {sent} turns lost: {sorted(set(lost))}"
    assert stored_turns == sent and _stored_events(path) == sent * EVENTS_PER_TURN


def test_the_curators_view_reads_the_newest_events_of_its_window(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "tracker.db"
    now = time.time()
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT, timestamp FLOAT,"
            " intent_name TEXT, action_name TEXT, data TEXT)"
        )
        rows = [
            ("s", "user", now - 3600 + n, "nlu_fallback", None, json.dumps({"text": f"older {n}"})) for n in range(30)
        ]
        rows.append(("s", "user", now - 10, "nlu_fallback", None, json.dumps({"text": "the newest question"})))
        connection.executemany(
            "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) VALUES (?,?,?,?,?,?)",
            rows,
        )
    monkeypatch.setattr("pobyt.staff.unanswered.MAX_EVENTS", 10)
    assert MAX_EVENTS > 10
    found = read_unanswered(sa.create_engine(f"sqlite:///{path}"))
    texts = [group.text for group in found]
    assert "the newest question" in texts and "older 0" not in texts and len(texts) == 10
