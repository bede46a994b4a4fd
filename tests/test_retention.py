"""Retention (pobyt.retention) and /forget (pobyt.privacy) against SQLite and a real PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from rasa.core.lock_store import InMemoryLockStore, RedisLockStore
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from pobyt.privacy import forget_conversation
from pobyt.retention import DAY_S, delete_old_conversations, retention_days
from pobyt.storage import SQLiteTrackerStore
from tests import pg_redis
from tests.pg_redis import PROD_ENDPOINTS, services_or_skip
from tests.servers import ROOT

NOW = time.time()


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(scope="module")
def services():
    with services_or_skip(needs_model=False) as running:
        yield running


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, domain, tmp_path) -> SQLTrackerStore:
    if request.param == "sqlite":
        return SQLiteTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    services = request.getfixturevalue("services")
    store = SQLTrackerStore(domain=domain, **services.store_kwargs())
    with store.session_scope() as session:  # the module's tests share the database: start empty
        session.query(store.SQLEvent).delete()
        session.commit()
    return store


async def save_conversation(store: SQLTrackerStore, sender: str, *ages_in_days: float) -> None:
    """Stores a conversation with one user turn per age (days before NOW), oldest first."""
    tracker = DialogueStateTracker(sender, store.domain.slots)
    for age in ages_in_days:
        at = NOW - age * DAY_S
        tracker.update(UserUttered("hello", {"name": "greet", "confidence": 1.0}, timestamp=at))
        tracker.update(ActionExecuted("utter_greet", timestamp=at + 1))
        tracker.update(SlotSet("language", "en", timestamp=at + 1))
        tracker.update(ActionExecuted("action_listen", timestamp=at + 2))
    await store.save(tracker)


async def test_conversations_older_than_the_retention_are_deleted(store):
    await save_conversation(store, "old", 200, 120)
    await save_conversation(store, "recent", 10)
    await save_conversation(store, "came-back", 150, 1)  # old start, but written to yesterday

    deleted = await delete_old_conversations(FailSafeTrackerStore(store), InMemoryLockStore(), 90, now=NOW)

    assert deleted == 1
    assert await store.retrieve("old") is None
    assert (await store.retrieve("recent")).get_slot("language") == "en"
    kept = await store.retrieve_full_tracker("came-back")
    assert len([e for e in kept.events if isinstance(e, UserUttered)]) == 2  # kept whole, not trimmed
    assert sorted(await store.keys()) == ["came-back", "recent"]


async def test_a_shorter_retention_deletes_more_and_zero_deletes_nothing(store):
    await save_conversation(store, "month", 31)
    await save_conversation(store, "day", 1)
    assert await delete_old_conversations(store, None, 0, now=NOW) == 0
    assert await delete_old_conversations(store, None, 30, now=NOW) == 1
    assert sorted(await store.keys()) == ["day"]


def test_the_retention_setting():
    assert retention_days("") == 90
    assert retention_days("30") == 30
    assert retention_days("0") == 0
    with pytest.raises(ValueError):
        retention_days("-1")
    with pytest.raises(ValueError):
        retention_days("ninety")


def test_the_command_deletes_old_conversations_from_the_production_database(services, domain):
    store = SQLTrackerStore(domain=domain, **services.store_kwargs())
    asyncio.run(save_conversation(store, "cli-old", 61))
    asyncio.run(save_conversation(store, "cli-new", 59))
    env = {
        **os.environ,
        **services.env,
        "POBYT_ACTION_SERVER_URL": "http://127.0.0.1:1/webhook",
        "POBYT_RETENTION_DAYS": "60",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    }

    result = subprocess.run(
        [sys.executable, "-m", "pobyt.retention", "--endpoints", str(PROD_ENDPOINTS)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert "deleted 1 conversation(s)" in result.stdout
    assert "cli-old" not in result.stdout + result.stderr  # logs hold counts, not conversation ids
    assert asyncio.run(store.retrieve("cli-old")) is None
    assert asyncio.run(store.retrieve("cli-new")) is not None


async def test_forget_deletes_one_conversation_from_postgresql(services, domain):
    store = SQLTrackerStore(domain=domain, **services.store_kwargs())
    env = services.env
    locks = RedisLockStore(
        host=env["POBYT_REDIS_HOST"],
        port=int(env["POBYT_REDIS_PORT"]),
        db=int(env["POBYT_REDIS_DB"]),
        password=env["POBYT_REDIS_PASSWORD"],
    )
    await save_conversation(store, "forget-me", 1, 0)
    await save_conversation(store, "keep-me", 0)
    agent = SimpleNamespace(tracker_store=FailSafeTrackerStore(store), lock_store=locks)

    assert await forget_conversation(agent, "forget-me") is True

    assert await store.retrieve_full_tracker("forget-me") is None
    assert await store.retrieve("keep-me") is not None
    assert await forget_conversation(agent, "nobody") is True  # nothing to delete is not an error


def test_missing_database_programs_skip_locally_but_fail_under_ci(monkeypatch):
    monkeypatch.setattr(pg_redis, "missing_programs", lambda: ["redis-server (Debian package redis-server)"])
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="make services"), pg_redis.services_or_skip(needs_model=False):
        pass
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run"), pg_redis.services_or_skip(needs_model=False):
        pass


async def test_only_one_server_runs_retention_on_a_shared_postgresql_database(services, domain):
    from pobyt.retention import RETENTION_LOCK

    store = SQLiteTrackerStore(domain=domain, **services.store_kwargs())
    with store.session_scope() as session:
        session.query(store.SQLEvent).delete()
        session.commit()
    await save_conversation(store, "old", 100)
    other_server = sa.create_engine(services.db_url)
    with other_server.connect() as connection:  # another server is running retention
        connection.exec_driver_sql(f"SELECT pg_advisory_lock({RETENTION_LOCK})")
        assert await delete_old_conversations(store, InMemoryLockStore(), days=90, now=NOW) == 0
        connection.exec_driver_sql(f"SELECT pg_advisory_unlock({RETENTION_LOCK})")
    assert await delete_old_conversations(store, InMemoryLockStore(), days=90, now=NOW) == 1


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_the_events_timestamp_is_indexed_for_retention(request, domain, tmp_path, dialect):
    if dialect == "sqlite":
        store = SQLiteTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    else:
        store = SQLiteTrackerStore(domain=domain, **request.getfixturevalue("services").store_kwargs())
    indexes = sa.inspect(store.engine).get_indexes("events")
    assert {"name": "pobyt_events_timestamp", "columns": ["timestamp"]} in [
        {"name": index["name"], "columns": index["column_names"]} for index in indexes
    ]
