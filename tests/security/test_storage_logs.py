"""Fault: the database breaks mid-conversation; no message text may reach any log line.

Rasa's fail-safe tracker store logs a failed save's error at ERROR, and SQLAlchemy's error text
quotes the statement's parameters: the person's messages. The log scrubber only catches phone
numbers, e-mail addresses and document numbers, so a name or a story went to the log as written.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from pathlib import Path

import pytest
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from pobyt.storage import SQLiteTrackerStore
from tests.servers import ROOT

#: What the person wrote: nothing a pattern could recognise, only the text itself.
SECRET = "my landlord Zdenek Kucera keeps my passport in Brno"


def _log_text(caplog: pytest.LogCaptureFixture) -> str:
    lines = []
    for record in caplog.records:
        lines.append(record.getMessage())
        if record.exc_info:
            lines.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(lines)


async def test_a_broken_database_logs_no_message_text(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    domain = Domain.load(str(ROOT / "domain.yml"))
    path = tmp_path / "tracker.db"
    store = FailSafeTrackerStore(SQLiteTrackerStore(domain=domain, dialect="sqlite", db=str(path)))
    tracker = DialogueStateTracker("person", domain.slots)
    tracker.update(UserUttered("hello", {"name": "greet", "confidence": 1.0}))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)

    with contextlib.closing(sqlite3.connect(path)) as connection:  # writing breaks (as on a full disk)
        connection.execute("CREATE TRIGGER broken BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        connection.commit()
    caplog.set_level(logging.DEBUG)
    tracker.update(UserUttered(SECRET, {"name": "nlu_fallback", "confidence": 0.2}))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)  # falls back to memory, logging why
    await store.retrieve("person")

    logged = _log_text(caplog)
    assert "ERROR" in {record.levelname for record in caplog.records}, "the failure was not logged at all"
    assert "Zdenek" not in logged and "passport" not in logged, logged


async def test_the_in_memory_fallback_keeps_a_bounded_number_of_conversations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("POBYT_FALLBACK_CONVERSATIONS", "20")
    domain = Domain.load(str(ROOT / "domain.yml"))
    path = tmp_path / "tracker.db"
    store = FailSafeTrackerStore(SQLiteTrackerStore(domain=domain, dialect="sqlite", db=str(path)))
    with contextlib.closing(sqlite3.connect(path)) as connection:  # the database is down for good
        connection.execute("CREATE TRIGGER broken BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'down'); END")
        connection.commit()
    for number in range(200):
        tracker = DialogueStateTracker(f"person-{number}", domain.slots)
        tracker.update(UserUttered("hello", {"name": "greet", "confidence": 1.0}))
        await store.save(tracker)
    kept = store.fallback_tracker_store.store
    assert len(kept) == 20 and "person-199" in kept and "person-0" not in kept
