"""Conversations stored before ids named their channel: Telegram's move to ``tg:<chat id>`` (pobyt.migrate_senders)."""

from __future__ import annotations

from pathlib import Path
from typing import List

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from pobyt.migrate_senders import main, migrate
from pobyt.storage import SQLiteTrackerStore


def said(texts: List[str], channel: str) -> List[UserUttered]:
    return [UserUttered(text, input_channel=channel) for text in texts]


async def texts(store: SQLiteTrackerStore, sender: str) -> List[str]:
    tracker = await store.retrieve(sender)
    return [e.text for e in tracker.events if isinstance(e, UserUttered)] if tracker else []


@pytest.fixture
async def store(tmp_path: Path) -> SQLiteTrackerStore:
    """The embedded store with conversations as the old channels stored them."""
    store = SQLiteTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "pobyt.db"))
    old = {
        "424242": said(["family reunion", "fees"], "telegram"),  # a person's Telegram chat
        "-100123": said(["hi"], "telegram"),  # a group, from before groups were refused
        "555": said(["numeric REST sender"], "rest"),  # an integration that used a number
        "web-0a1b": said(["from the widget"], "rest"),
        "777": said(["before the upgrade"], "telegram"),
        "tg:777": said(["after the upgrade"], "telegram"),
    }
    for sender, events in old.items():
        await store.save(DialogueStateTracker.from_events(sender, events))
    return store


async def test_bare_telegram_chat_ids_become_tg_ids_and_a_second_run_changes_nothing(store):
    assert migrate(store.engine) == 3
    assert await texts(store, "tg:424242") == ["family reunion", "fees"]
    assert await texts(store, "tg:-100123") == ["hi"]
    assert await texts(store, "424242") == [] and await texts(store, "-100123") == []
    # A chat that wrote again after the upgrade keeps one conversation, the old part first.
    assert await texts(store, "tg:777") == ["before the upgrade", "after the upgrade"]
    # Not Telegram: left as it was.
    assert await texts(store, "555") == ["numeric REST sender"]
    assert await texts(store, "web-0a1b") == ["from the widget"]
    assert migrate(store.engine) == 0
    assert await texts(store, "tg:424242") == ["family reunion", "fees"]


async def test_the_command_reads_the_store_from_an_endpoints_file(store, tmp_path, capsys):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        f'tracker_store:\n  type: pobyt.storage.SQLiteTrackerStore\n  dialect: "sqlite"\n  db: "{tmp_path / "pobyt.db"}"\n'
    )
    store.engine.dispose()  # the assistant is stopped while the migration runs
    assert main(["--endpoints", str(endpoints)]) == 0
    assert "Renamed 3 Telegram conversation(s)" in capsys.readouterr().out
    assert main(["--endpoints", str(endpoints)]) == 0
    assert "Renamed 0" in capsys.readouterr().out


def test_an_empty_database_has_nothing_to_migrate(tmp_path):
    import sqlalchemy as sa

    assert migrate(sa.create_engine(f"sqlite:///{tmp_path / 'empty.db'}")) == 0
