"""A Rasa server killed mid-conversation (SIGKILL) and started again: the conversation goes on.

Tested with the embedded SQLite store and with PostgreSQL + Redis (endpoints.prod.yml). The same
start-up also runs retention inside the server (credentials.yml: pobyt.retention.RetentionChannel):
a conversation idle for longer than POBYT_RETENTION_DAYS disappears, a recent one stays.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import List

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from pobyt.retention import DAY_S
from pobyt.storage import ResilientSQLTrackerStore, SQLiteTrackerStore
from tests.pg_redis import PROD_ENDPOINTS, RasaCluster, running_cluster, say, services_or_skip, tracker
from tests.servers import MODEL, ROOT

pytestmark = pytest.mark.e2e

SQLITE_ENDPOINTS = """\
action_endpoint:
  url: ${POBYT_ACTION_SERVER_URL}
tracker_store:
  type: pobyt.storage.SQLiteTrackerStore
  dialect: "sqlite"
  db: "%s"
"""


def save_idle_conversation(store: SQLTrackerStore, sender: str, idle_days: float) -> None:
    tracker = DialogueStateTracker(sender, store.domain.slots)
    at = time.time() - idle_days * DAY_S
    tracker.update(UserUttered("hello", {"name": "greet", "confidence": 1.0}, timestamp=at))
    tracker.update(ActionExecuted("action_listen", timestamp=at + 1))
    asyncio.run(store.save(tracker))


def wait_for(condition, what: str, limit_s: float = 60) -> None:
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {limit_s} s")
        time.sleep(0.2)  # polling a condition with a deadline


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request, tmp_path_factory):
    """Yields (store to inspect the database, cluster of one Rasa server using it, services or None)."""
    if not MODEL.exists():
        pytest.skip("no trained model: run `make train` (make test does)")
    domain = Domain.load(str(ROOT / "domain.yml"))
    tmp_path = tmp_path_factory.mktemp(f"restart-{request.param}")
    with ExitStack() as stack:
        if request.param == "sqlite":
            path = tmp_path / "tracker.db"
            endpoints = tmp_path / "endpoints.yml"
            endpoints.write_text(SQLITE_ENDPOINTS % path)
            store: SQLTrackerStore = SQLiteTrackerStore(domain=domain, dialect="sqlite", db=str(path))
            env, services = {}, None
        else:
            services = stack.enter_context(services_or_skip())
            endpoints = PROD_ENDPOINTS
            # Pre-pinged connections: the outage test restarts PostgreSQL under this store too.
            store = ResilientSQLTrackerStore(domain=domain, **services.store_kwargs())
            env = services.env
        save_idle_conversation(store, "idle-for-a-year", 365)
        save_idle_conversation(store, "idle-for-a-week", 7)
        cluster = stack.enter_context(
            running_cluster(tmp_path, endpoints, {**env, "POBYT_TODAY": "2026-11-24"}, count=1)
        )
        yield store, cluster, services


def user_texts(cluster: RasaCluster, sender: str) -> List[str]:
    return [e["text"] for e in tracker(cluster.urls[0], sender)["events"] if e["event"] == "user"]


def test_retention_runs_when_the_server_starts(database):
    store, _cluster, _services = database
    # Default retention 90 days: the year-old conversation goes, the week-old one stays.
    wait_for(lambda: asyncio.run(store.retrieve("idle-for-a-year")) is None, "deleting the year-old conversation")
    assert asyncio.run(store.retrieve("idle-for-a-week")) is not None


def test_a_killed_server_continues_the_conversation_after_a_restart(database):
    _store, cluster, _services = database
    sender = "restart-family"
    _disclaimer, choice = say(cluster.urls[0], sender, "what do I need for family reunion")
    payload = choice["buttons"][1]["payload"]
    (documents,) = say(cluster.urls[0], sender, payload)
    assert documents["custom"]["pobyt"]["procedure"] == "temporary_residence_family_reunion"

    cluster.kill(0)
    cluster.start(0)

    state = tracker(cluster.urls[0], sender)
    assert state["slots"]["procedure"] == "temporary_residence_family_reunion"
    (fees,) = say(cluster.urls[0], sender, "how much does it cost")
    assert fees["text"].split("\n")[:3] == [
        "Temporary residence for family reunion (Prechodný pobyt na účel zlúčenia rodiny)",
        "Fees:",
        "• EUR 132.50: Application for temporary residence (paid when you apply)",
    ]
    assert user_texts(cluster, sender) == ["what do I need for family reunion", payload, "how much does it cost"]


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_message_sent_while_postgresql_is_briefly_down_is_answered_in_its_conversation(database):
    _store, cluster, services = database
    sender = "outage-family"
    _disclaimer, choice = say(cluster.urls[0], sender, "what do I need for family reunion")
    payload = choice["buttons"][1]["payload"]
    say(cluster.urls[0], sender, payload)
    log = cluster.log(0)
    warnings_before = log.read_text().count("Database unavailable")

    services.stop_postgres()
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(say, cluster.urls[0], sender, "how much does it cost", 120)
        # The server says clearly what is wrong, and keeps the message waiting...
        wait_for(lambda: log.read_text().count("Database unavailable") > warnings_before, "a log line")
        assert not pending.done()
        services.start_postgres()
        (fees,) = pending.result(timeout=120)

    # ...then answers it in its conversation (not as a new one) and stores it.
    assert fees["text"].split("\n")[:2] == [
        "Temporary residence for family reunion (Prechodný pobyt na účel zlúčenia rodiny)",
        "Fees:",
    ]
    assert user_texts(cluster, sender) == ["what do I need for family reunion", payload, "how much does it cost"]
    assert "outage-family" not in log.read_text()  # the log names no conversation


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_server_started_while_postgresql_is_down_waits_for_it_then_serves(database):
    _store, cluster, services = database
    sender = "startup-outage"
    say(cluster.urls[0], sender, "what do I need for temporary protection")
    cluster.kill(0)
    services.stop_postgres()
    with ThreadPoolExecutor(max_workers=1) as pool:
        starting = pool.submit(cluster.start, 0)
        log = cluster.log(0)
        # Rasa logs the failed connection and keeps trying; it does not answer before it has the database.
        wait_for(lambda: log.exists() and "Connection refused" in log.read_text(), "a log line", limit_s=120)
        assert not starting.done()
        services.start_postgres()
        starting.result(timeout=240)

    assert tracker(cluster.urls[0], sender)["slots"]["procedure"] == "temporary_protection"
    assert say(cluster.urls[0], sender, "how much does it cost")


async def test_the_store_retries_a_failed_read_then_gives_up_after_the_retry_time(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("POBYT_DB_RETRY_S", "1")
    store = ResilientSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"))
    failures = []

    async def unreachable(self, sender_id):
        failures.append(sender_id)
        raise sa.exc.OperationalError("SELECT ...", {"sender_id": sender_id}, ConnectionRefusedError())

    monkeypatch.setattr(SQLiteTrackerStore, "retrieve", unreachable)
    with pytest.raises(sa.exc.OperationalError):
        await store.retrieve("someone-private")

    assert len(failures) >= 2
    assert "Database unavailable (ConnectionRefusedError): retrying in 0.5 s" in caplog.text
    assert "giving up" in caplog.text
    assert "someone-private" not in caplog.text


async def test_the_store_returns_the_conversation_once_the_database_answers_again(tmp_path, monkeypatch):
    store = ResilientSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"))
    outcomes = [sa.exc.OperationalError("SELECT ...", {}, ConnectionRefusedError()), "the tracker"]

    async def flaky(self, sender_id):
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(SQLiteTrackerStore, "retrieve", flaky)
    assert await store.retrieve("someone") == "the tracker"
