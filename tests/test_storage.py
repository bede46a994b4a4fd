"""The embedded SQLite tracker store keeps conversations, in write-ahead-log mode."""

from __future__ import annotations

import sqlite3

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from pobyt.storage import SQLiteTrackerStore
from tests.servers import ROOT


async def test_a_conversation_survives_a_new_store_on_the_same_file(tmp_path):
    domain = Domain.load(str(ROOT / "domain.yml"))
    path = tmp_path / "tracker.db"
    store = SQLiteTrackerStore(domain=domain, dialect="sqlite", db=str(path))
    tracker = DialogueStateTracker("person", domain.slots)
    tracker.update(UserUttered("привіт", {"name": "greet", "confidence": 1.0}))
    tracker.update(ActionExecuted("action_greet"))
    tracker.update(SlotSet("language", "uk"))
    await store.save(tracker)

    reopened = SQLiteTrackerStore(domain=domain, dialect="sqlite", db=str(path))
    restored = await reopened.retrieve("person")
    assert restored.get_slot("language") == "uk"
    assert restored.latest_message.text == "привіт"
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
