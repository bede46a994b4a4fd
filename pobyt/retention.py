"""Retention: conversations whose latest event is older than POBYT_RETENTION_DAYS (default 90) are deleted.

Staff notes quoting a deleted conversation's messages are deleted with it (pobyt/staff/notes.py).

Works on Rasa's SQL tracker store (SQLite and PostgreSQL: rows of its ``events`` table) and the
in-memory store. Two ways to run it, both using the tracker store and lock store of an endpoints
file, so a message arriving meanwhile is never mixed with a deletion (with several servers on one
PostgreSQL database, one runs it at a time, holding an advisory lock, and the others skip it):

* in the Rasa server: the ``pobyt.retention.RetentionChannel`` entry in credentials.yml runs it at
  start-up and then every ``interval_hours`` (default 24) in every Rasa process;
* from cron or by hand: ``python -m pobyt.retention --endpoints endpoints.prod.yml [--days N]``.

``POBYT_RETENTION_DAYS=0`` turns retention off. Logs hold counts only, never conversation ids.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import time
from typing import Any, Awaitable, Callable, Dict, Iterator, List, Optional, Sequence

import sqlalchemy as sa
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.lock_store import InMemoryLockStore, LockStore
from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore, TrackerStore
from sanic import Blueprint, Sanic

from pobyt.privacy import delete_notes_quoting, underlying_stores, user_texts, wipe_sqlite_log
from pobyt.settings import whole_number
from pobyt.storage import off_the_loop

logger = logging.getLogger(__name__)

DEFAULT_DAYS = 90
RETENTION_VARIABLE = "POBYT_RETENTION_DAYS"
DEFAULT_INTERVAL_HOURS = 24.0
DAY_S = 24 * 3600
#: The PostgreSQL advisory lock one retention run holds (any number the project uses for nothing else).
RETENTION_LOCK = 7_041_990


def retention_days(value: Optional[str] = None) -> int:
    """Returns the retention in days: ``value``, else POBYT_RETENTION_DAYS, else 90; 0 means off.

    Raises:
        ValueError: when the value is not a whole number of days >= 0.
    """
    environ = None if value is None else {RETENTION_VARIABLE: value}
    return whole_number(RETENTION_VARIABLE, DEFAULT_DAYS, environ=environ)


def _old_sql_senders(store: SQLTrackerStore, cutoff: float) -> List[str]:
    # Conversations with an event older than the cutoff (read through the timestamp index, see
    # pobyt/storage.py); whether they have a newer one is checked as each is deleted.
    events = store.SQLEvent
    with store.session_scope() as session:
        rows = session.query(events.sender_id).filter(events.timestamp < cutoff).distinct().all()
    return [sender_id for (sender_id,) in rows]


@contextlib.contextmanager
def _only_here(store: SQLTrackerStore) -> Iterator[bool]:
    """Yields True when no other process is running retention on ``store``'s PostgreSQL database.

    A PostgreSQL advisory lock held for the run: with several Rasa servers, one of them does the
    work and the others skip it. SQLite (one process) always runs.
    """
    if store.engine.dialect.name != "postgresql":
        yield True
        return
    with store.engine.connect() as connection:
        mine = bool(connection.exec_driver_sql(f"SELECT pg_try_advisory_lock({RETENTION_LOCK})").scalar())
        try:
            yield mine
        finally:
            if mine:
                connection.exec_driver_sql(f"SELECT pg_advisory_unlock({RETENTION_LOCK})")


def _delete_sql_if_old(store: SQLTrackerStore, sender_id: str, cutoff: float) -> int:
    # One statement: the conversation is deleted only if it still has no event newer than the
    # cutoff, so a message stored by another Rasa process since the query above keeps it.
    events = store.SQLEvent
    newer = sa.orm.aliased(events)
    with store.session_scope() as session:
        has_newer = session.query(newer.id).filter(newer.sender_id == sender_id, newer.timestamp >= cutoff).exists()
        deleted = (
            session.query(events).filter(events.sender_id == sender_id, ~has_newer).delete(synchronize_session=False)
        )
        session.commit()
    return int(deleted or 0)


async def _old_memory_senders(store: InMemoryTrackerStore, cutoff: float) -> List[str]:
    old = []
    for sender_id in list(store.store):
        tracker = await store.retrieve_full_tracker(sender_id)
        if tracker is not None and tracker.events and (tracker.events[-1].timestamp or 0) < cutoff:
            old.append(sender_id)
    return old


async def delete_old_conversations(
    tracker_store: TrackerStore, lock_store: Optional[LockStore], days: int, now: Optional[float] = None
) -> int:
    """Deletes every conversation whose latest event is older than ``days`` days.

    Args:
        tracker_store: the tracker store, possibly wrapped by Rasa (``agent.tracker_store``).
        lock_store: the conversations' lock store; each deletion holds the conversation's lock.
        days: the retention; 0 deletes nothing.
        now: the current time (seconds since the epoch); for tests.

    Returns:
        The number of conversations deleted.
    """
    if days <= 0:
        return 0
    cutoff = (time.time() if now is None else now) - days * DAY_S
    locks = lock_store or InMemoryLockStore()
    deleted = 0
    texts: List[str] = []  # of the deleted conversations: the staff notes quoting them go too
    for store in underlying_stores(tracker_store):
        if isinstance(store, SQLTrackerStore):
            with _only_here(store) as mine:
                if not mine:
                    logger.info("Retention is running on another server; skipped here")
                    continue
                for sender_id in await off_the_loop(store, _old_sql_senders, store, cutoff):
                    async with locks.lock(sender_id):
                        said = await off_the_loop(store, user_texts, store, sender_id)
                        if await off_the_loop(store, _delete_sql_if_old, store, sender_id, cutoff) > 0:
                            deleted, texts = deleted + 1, texts + said
            wipe_sqlite_log(store)
        elif isinstance(store, InMemoryTrackerStore):
            for sender_id in await _old_memory_senders(store, cutoff):
                async with locks.lock(sender_id):
                    said = user_texts(store, sender_id)
                    if store.store.pop(sender_id, None) is not None:
                        deleted, texts = deleted + 1, texts + said
    await asyncio.get_running_loop().run_in_executor(None, delete_notes_quoting, texts)  # a file on disk
    logger.info("Retention (%d days): deleted %d conversation(s)", days, deleted)
    return deleted


class RetentionChannel(InputChannel):
    """Runs retention inside the Rasa server: at start-up, then every ``interval_hours``.

    A channel only because channels are how Rasa loads project code into its server; it has no
    routes. credentials.yml: ``pobyt.retention.RetentionChannel:`` with optional ``days`` (default
    POBYT_RETENTION_DAYS or 90) and ``interval_hours`` (default 24).
    """

    def __init__(self, days: Optional[int] = None, interval_hours: float = DEFAULT_INTERVAL_HOURS) -> None:
        """Keeps the settings; see the class docstring."""
        self.days = retention_days() if days is None else int(days)
        self.interval_s = float(interval_hours) * 3600

    @classmethod
    def name(cls) -> str:
        """Returns the channel's name (its unused URL prefix)."""
        return "retention"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        """Reads ``days`` and ``interval_hours`` from credentials.yml (both optional)."""
        credentials = credentials or {}
        days = credentials.get("days")
        return cls(
            days=None if days in (None, "") else int(days),
            interval_hours=float(credentials.get("interval_hours") or DEFAULT_INTERVAL_HOURS),
        )

    async def run_once(self, app: Sanic) -> int:
        """Runs retention once with the server's stores; returns the number deleted (0 if not ready)."""
        agent = getattr(app.ctx, "agent", None)
        if agent is None or agent.tracker_store is None:
            return 0
        return await delete_old_conversations(agent.tracker_store, agent.lock_store, self.days)

    async def _every_interval(self, app: Sanic) -> None:
        while True:
            try:
                await self.run_once(app)
            except Exception:  # noqa: BLE001 - e.g. the database is down: try again next time
                logger.exception("Retention failed; next attempt in %.0f s", self.interval_s)
            await asyncio.sleep(self.interval_s)  # the schedule itself, not a synchronisation

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Returns a blueprint without routes that starts and stops the periodic task."""
        blueprint = Blueprint("pobyt_retention", __name__)
        tasks: List[asyncio.Task] = []
        if self.days <= 0:
            logger.info("Retention is off (POBYT_RETENTION_DAYS=0)")
            return blueprint

        @blueprint.listener("after_server_start")
        async def start(app: Sanic, _: Any) -> None:
            tasks.append(asyncio.get_running_loop().create_task(self._every_interval(app)))

        @blueprint.listener("before_server_stop")
        async def stop(_: Sanic, __: Any) -> None:
            for task in tasks:
                task.cancel()

        return blueprint


async def _run_from_endpoints(endpoints_path: str, days: int) -> int:
    from rasa.core.utils import AvailableEndpoints

    endpoints = AvailableEndpoints.read_endpoints(endpoints_path)
    tracker_store = TrackerStore.create(endpoints.tracker_store)
    lock_store = LockStore.create(endpoints.lock_store)
    return await delete_old_conversations(tracker_store, lock_store, days)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command line: deletes old conversations from the tracker store of an endpoints file once.

    Args:
        argv: the arguments (default: the command line).

    Returns:
        The exit status (0 on success).
    """
    parser = argparse.ArgumentParser(prog="python -m pobyt.retention", description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", default="endpoints.yml", help="Rasa endpoints file (default endpoints.yml)")
    parser.add_argument("--days", help="retention in days (default POBYT_RETENTION_DAYS or 90; 0 = off)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    deleted = asyncio.run(_run_from_endpoints(args.endpoints, retention_days(args.days)))
    print(f"deleted {deleted} conversation(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
