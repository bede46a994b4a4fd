"""The embedded tracker store: Rasa's SQL tracker store, tuned for a SQLite file.

Rasa opens a new SQLite connection for every read and write (SQLAlchemy 1.4 uses no pool for
SQLite files) and SQLite's default journal syncs the disk twice per commit. Here one connection is
kept and the database runs in write-ahead-log mode with ``synchronous=NORMAL``: a commit survives a
crash of the assistant (the log is replayed on start), only an operating-system crash or power loss
can drop the last commits. Other databases (PostgreSQL) are left exactly as Rasa configures them.

Configured in endpoints.yml as ``type: pobyt.storage.SQLiteTrackerStore`` with Rasa's SQL keys.
``ResilientSQLTrackerStore`` (endpoints.prod.yml, PostgreSQL) also waits out short database outages.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable, Optional, TypeVar

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.pool import StaticPool

from pobyt import speedups
from pobyt.settings import positive_number

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: Run on every new SQLite connection (the journal mode persists in the file; the rest does not).
SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA busy_timeout=5000")


def _set_pragmas(connection: Any, _: Any) -> None:
    cursor = connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


class SQLiteTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store; with SQLite, one kept connection in write-ahead-log mode."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Creates the store like Rasa's ``SQLTrackerStore`` (same arguments), then tunes SQLite."""
        super().__init__(*args, **kwargs)
        speedups.install()  # every stored event is deserialised on every message: see pobyt/speedups.py
        if self.engine.dialect.name != "sqlite":
            return
        url = self.engine.url
        self.engine.dispose()
        # Rasa handles messages on one event loop thread, so one shared connection is enough;
        # check_same_thread is off because Sanic may create the store on another thread.
        self.engine = sa.create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
        sa.event.listen(self.engine, "connect", _set_pragmas)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        logger.debug("SQLite tracker store in write-ahead-log mode at %s", url.database)


#: Seconds a read or write waits for an unreachable database before giving up (POBYT_DB_RETRY_S).
DEFAULT_DB_RETRY_S = 30.0


class ResilientSQLTrackerStore(SQLiteTrackerStore):
    """The production tracker store (endpoints.prod.yml): rides out a short database outage.

    Rasa wraps every tracker store in a fail-safe that, when the store fails, answers the message
    as if the conversation were new and keeps it only in memory: a wrong answer, and a message lost
    once the database is back. Here a read or write that fails because the database cannot be
    reached is retried with growing pauses for up to POBYT_DB_RETRY_S seconds (default 30), each
    attempt logged; other conversations are served meanwhile. If the database comes back in time,
    the message is answered in its conversation and stored (the channels already answered
    "technical problem" if that took longer than POBYT_REPLY_TIMEOUT_S). Connections broken by a
    database restart are detected before use (``pool_pre_ping``) instead of failing a request.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Creates the store like Rasa's ``SQLTrackerStore`` (same arguments)."""
        super().__init__(*args, **kwargs)
        self.retry_s = positive_number("POBYT_DB_RETRY_S", DEFAULT_DB_RETRY_S)
        if self.engine.dialect.name != "sqlite":
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def _retrying(self, operation: Callable[..., Awaitable[T]], *args: Any) -> T:
        delay, deadline = 0.5, time.monotonic() + self.retry_s
        while True:
            try:
                return await operation(*args)
            except sa.exc.DBAPIError as error:
                unreachable = isinstance(error, sa.exc.OperationalError) or error.connection_invalidated
                if not unreachable or time.monotonic() + delay > deadline:
                    logger.error("Database unavailable (%s): giving up on this message", type(error.orig).__name__)
                    raise
                # The error's text holds SQL parameters (conversation ids): log its kind only.
                logger.warning("Database unavailable (%s): retrying in %.1f s", type(error.orig).__name__, delay)
                await asyncio.sleep(delay)  # a back-off pause; other requests run meanwhile
                delay = min(delay * 2, 5.0)

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """Like Rasa's, retrying while the database is unreachable."""
        return await self._retrying(super().retrieve, sender_id)

    async def retrieve_full_tracker(self, conversation_id: str) -> Optional[DialogueStateTracker]:
        """Like Rasa's, retrying while the database is unreachable."""
        return await self._retrying(super().retrieve_full_tracker, conversation_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Like Rasa's, retrying while the database is unreachable (a failed commit wrote nothing)."""
        await self._retrying(super().save, tracker)
