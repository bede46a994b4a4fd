"""Attack/fault: a forgotten or expired conversation must leave nothing of its text behind.

Staff notes quote clients' messages; /forget and retention used to delete the conversation's
events only. SQLite also kept deleted rows in the file's free pages (and the write-ahead log), where
anyone with the file could read them.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from pobyt.privacy import forget_conversation
from pobyt.retention import DAY_S, delete_old_conversations
from pobyt.staff.notes import Note, NoteStore
from pobyt.storage import SQLiteTrackerStore
from tests.servers import ROOT

#: What the person wrote (ASCII: Rasa stores events as JSON with non-ASCII characters escaped).
SECRET = "Quixotic marmalade: my employer Zelinka holds my residence card"
OTHER = "How long does a temporary residence permit take?"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture
def notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> NoteStore:
    """The staff notes file the console uses (POBYT_STAFF_DB)."""
    path = tmp_path / "notes.sqlite"
    monkeypatch.setenv("POBYT_STAFF_DB", str(path))
    return NoteStore(path)


def _note(message: str) -> Note:
    return Note(kind="wrong", message=message, answer="an answer", language="en", user="anna")


async def _converse(store: SQLiteTrackerStore, sender: str, text: str, at: float) -> None:
    tracker = DialogueStateTracker(sender, store.domain.slots)
    for turn in range(3):
        tracker.update(UserUttered(f"{text} ({turn})", {"name": "nlu_fallback", "confidence": 0.2}, timestamp=at))
        tracker.update(ActionExecuted("action_fallback", timestamp=at + 1))
        tracker.update(BotUttered("Sorry, I did not understand.", timestamp=at + 1))
        tracker.update(ActionExecuted("action_listen", timestamp=at + 2))
        await store.save(tracker)


def _file_bytes(path: Path) -> bytes:
    """The database file and its write-ahead log, as anyone with disk access would read them."""
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


async def test_forget_leaves_no_text_in_the_files_and_deletes_the_notes_quoting_it(
    domain: Domain, tmp_path: Path, notes: NoteStore
):
    path = tmp_path / "tracker.db"
    store = SQLiteTrackerStore(domain=domain, dialect="sqlite", db=str(path))
    await _converse(store, "person", SECRET, time.time())
    await _converse(store, "someone else", OTHER, time.time())
    notes.add(_note(f"{SECRET} (1)"))
    notes.add(_note(f"{OTHER} (0)"))
    assert SECRET.encode() in _file_bytes(path)
    agent = SimpleNamespace(tracker_store=FailSafeTrackerStore(store), lock_store=InMemoryLockStore())

    assert await forget_conversation(agent, "person") is True

    assert await store.retrieve("person") is None
    assert SECRET.encode() not in _file_bytes(path), "the text is still in the tracker store's file"
    assert [note.message for note in notes.recent()] == [f"{OTHER} (0)"]
    assert SECRET.encode() not in _file_bytes(Path(notes.path)), "the text is still in the notes file"
    assert (await store.retrieve("someone else")).latest_message.text == f"{OTHER} (2)"


async def test_retention_deletes_the_notes_quoting_an_expired_conversation(
    domain: Domain, tmp_path: Path, notes: NoteStore
):
    store = SQLiteTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    now = time.time()
    await _converse(store, "old", SECRET, now - 100 * DAY_S)
    await _converse(store, "recent", OTHER, now - DAY_S)
    notes.add(_note(f"{SECRET} (0)"))
    notes.add(_note(f"{OTHER} (1)"))

    assert await delete_old_conversations(store, InMemoryLockStore(), days=90, now=now) == 1

    assert [note.message for note in notes.recent()] == [f"{OTHER} (1)"]
    assert SECRET.encode() not in _file_bytes(Path(notes.path))
