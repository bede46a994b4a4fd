"""The embedded tracker store: Rasa's SQL tracker store, tuned for a SQLite file.

Rasa opens a new SQLite connection for every read and write (SQLAlchemy 1.4 uses no pool for
SQLite files) and SQLite's default journal syncs the disk twice per commit. Here one connection is
kept and the database runs in write-ahead-log mode with ``synchronous=NORMAL``: a commit survives a
crash of the assistant (the log is replayed on start), only an operating-system crash or power loss
can drop the last commits. Other databases (PostgreSQL) keep Rasa's pool settings.

Every engine made here hides SQL parameters from its error messages (``hide_parameters``): Rasa
logs a failed save's error, and the parameters are the conversation's messages. Deleted rows are
overwritten in the SQLite file (``secure_delete``). PostgreSQL connections get a connection
timeout, TCP keepalives (a silently dropped connection is noticed in under a minute instead of the
TCP timeout) and a statement timeout, so an outage fails a request quickly instead of stalling it.

Rasa's SQL tracker store is ``async`` in name only: every query blocks the thread that awaits it.
With PostgreSQL, :class:`ResilientSQLTrackerStore` and the project's own deletions
(:func:`off_the_loop`) run them in worker threads, so a database that stops answering holds up
the messages that need it, not the event loop and every other request. SQLite stays on the event
loop thread, which owns its one connection.

Read-only work that runs in a worker thread (the curators' view) gets an engine of its own
(:func:`read_only_engine`): the tracker store's one SQLite connection belongs to the event loop,
and another thread's rollback on it would end the loop's open transaction.

While the database is down, Rasa's fail-safe wrapper keeps conversations in memory; here that
fallback keeps at most POBYT_FALLBACK_CONVERSATIONS (default 1000) of them, the least recently
saved going first, so a long outage cannot fill the server's memory (:class:`BoundedInMemoryTrackerStore`).

Configured in endpoints.yml as ``type: pobyt.storage.SQLiteTrackerStore`` with Rasa's SQL keys.
``ResilientSQLTrackerStore`` (endpoints.prod.yml, PostgreSQL) also waits out short database outages.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Awaitable, Callable, Dict, Optional, TypeVar

import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore, SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.pool import NullPool, StaticPool

from pobyt import speedups
from pobyt.settings import positive_number, whole_number

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: Run on every new SQLite connection (the journal mode persists in the file; the rest does not).
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=5000",
    # A deleted conversation (/forget, retention) is overwritten, not left in the file's free pages.
    "PRAGMA secure_delete=ON",
)
#: Seconds to open a PostgreSQL connection, and milliseconds one statement may run.
PG_CONNECT_TIMEOUT_S = 5
PG_STATEMENT_TIMEOUT_MS = 10_000
#: TCP keepalives: a connection dropped without a word (a firewall, a failed-over host) is noticed
#: after about 10 + 3 x 5 seconds of silence instead of the system's TCP timeout (minutes).
PG_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3}


#: Conversations Rasa's in-memory fallback keeps at most during a database outage.
FALLBACK_VARIABLE = "POBYT_FALLBACK_CONVERSATIONS"
DEFAULT_FALLBACK_CONVERSATIONS = 1000


class BoundedInMemoryTrackerStore(InMemoryTrackerStore):
    """Rasa's in-memory tracker store keeping at most ``max_conversations``, least recently saved first out."""

    def __init__(self, *args: Any, max_conversations: int = DEFAULT_FALLBACK_CONVERSATIONS, **kwargs: Any) -> None:
        """Creates the store like Rasa's ``InMemoryTrackerStore``, with a bound."""
        super().__init__(*args, **kwargs)
        self.store: OrderedDict[str, Any] = OrderedDict()
        self.max_conversations = max_conversations

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Saves like Rasa's, then drops the least recently saved conversations beyond the bound."""
        await super().save(tracker)
        self.store.move_to_end(tracker.sender_id)
        while len(self.store) > self.max_conversations:
            self.store.popitem(last=False)


def _bounded_fallback(self: FailSafeTrackerStore) -> InMemoryTrackerStore:
    if not self._fallback_tracker_store:
        self._fallback_tracker_store = BoundedInMemoryTrackerStore(
            self._tracker_store.domain,
            self._tracker_store.event_broker,
            max_conversations=whole_number(FALLBACK_VARIABLE, DEFAULT_FALLBACK_CONVERSATIONS, minimum=1),
        )
    return self._fallback_tracker_store


def bound_the_fallback_store() -> None:
    """Makes Rasa's fail-safe wrapper fall back to a :class:`BoundedInMemoryTrackerStore` (idempotent)."""
    FailSafeTrackerStore.fallback_tracker_store = property(_bounded_fallback)  # type: ignore[assignment]


def _set_pragmas(connection: Any, _: Any) -> None:
    cursor = connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _read_only(connection: Any, _: Any) -> None:
    cursor = connection.cursor()
    for pragma in ("PRAGMA busy_timeout=5000", "PRAGMA query_only=ON"):
        cursor.execute(pragma)
    cursor.close()


def postgresql_connect_args(base: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Returns psycopg2's connection arguments with the timeouts and keepalives above added.

    Args:
        base: arguments already chosen (Rasa's ``options`` with the schema's search path).
    """
    args = dict(base or {})
    options = f"{args.get('options', '')} -c statement_timeout={PG_STATEMENT_TIMEOUT_MS}".strip()
    return {"connect_timeout": PG_CONNECT_TIMEOUT_S, **PG_KEEPALIVES, **args, "options": options}


def tracker_store_engine(url: Any, pre_ping: bool = False) -> sa.engine.Engine:
    """Returns the engine a tracker store at ``url`` uses (see the module's docstring).

    Args:
        url: the database URL (Rasa's ``SQLTrackerStore.get_db_url``).
        pre_ping: whether pooled connections are checked before use (after a database restart).
    """
    url = sa.engine.make_url(url)
    if url.get_backend_name() == "sqlite":
        # Rasa handles messages on one event loop thread, so one shared connection is enough;
        # check_same_thread is off because Sanic may create the store on another thread.
        engine = sa.create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False}, hide_parameters=True
        )
        sa.event.listen(engine, "connect", _set_pragmas)
        return engine
    kwargs = create_engine_kwargs(url)
    if url.get_backend_name() == "postgresql":
        kwargs["connect_args"] = postgresql_connect_args(kwargs.get("connect_args"))
    return sa.create_engine(url, pool_pre_ping=pre_ping, hide_parameters=True, **kwargs)


#: Retention and the curators' view select events by time; Rasa indexes only the sender.
TIMESTAMP_INDEX = "CREATE INDEX IF NOT EXISTS pobyt_events_timestamp ON events (timestamp)"


def create_timestamp_index(engine: sa.engine.Engine) -> None:
    """Adds the index on the events' timestamp if it is missing (logged, not raised, when that fails)."""
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(TIMESTAMP_INDEX)
    except sa.exc.SQLAlchemyError as error:  # e.g. two servers creating it at once: one of them did
        logger.warning("Could not create the events' timestamp index (%s)", type(error.orig).__name__)


def read_only_engine(store: Any) -> Optional[sa.engine.Engine]:
    """Returns an engine of its own for reading ``store``'s database from worker threads, or None.

    Made once per store. SQLite: a new connection per use (no pool), in query-only mode; a database
    in memory cannot be read apart from its connection, so there is none. PostgreSQL: a small pool.

    Args:
        store: an SQL tracker store (anything with an ``engine``).
    """
    engine = getattr(store, "_pobyt_read_only_engine", None)
    if engine is not None or getattr(store, "engine", None) is None:
        return engine
    url = store.engine.url
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:"):
            return None
        engine = sa.create_engine(url, poolclass=NullPool, hide_parameters=True)
        sa.event.listen(engine, "connect", _read_only)
    else:
        kwargs = create_engine_kwargs(url)
        kwargs.update(pool_size=1, max_overflow=1)
        if url.get_backend_name() == "postgresql":
            kwargs["connect_args"] = postgresql_connect_args(kwargs.get("connect_args"))
        engine = sa.create_engine(url, pool_pre_ping=True, hide_parameters=True, **kwargs)
    store._pobyt_read_only_engine = engine
    return engine


class SQLiteTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store; with SQLite, one kept connection in write-ahead-log mode.

    Every database's engine hides SQL parameters from errors; PostgreSQL's has timeouts and keepalives.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Creates the store like Rasa's ``SQLTrackerStore`` (same arguments), then tunes SQLite."""
        super().__init__(*args, **kwargs)
        speedups.install()  # every stored event is deserialised on every message: see pobyt/speedups.py
        bound_the_fallback_store()
        self._use_engine(tracker_store_engine(self.engine.url))
        create_timestamp_index(self.engine)

    def _use_engine(self, engine: sa.engine.Engine) -> None:
        self.engine.dispose()
        self.engine = engine
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        logger.debug("SQL tracker store on %s", engine.dialect.name)


#: Worker threads for blocking database calls (PostgreSQL): more would only queue at the pool.
DB_THREADS = 8
_db_threads: Optional[ThreadPoolExecutor] = None


def _worker_threads() -> ThreadPoolExecutor:
    global _db_threads  # noqa: PLW0603 - one pool per process, made on first use
    if _db_threads is None:
        _db_threads = ThreadPoolExecutor(max_workers=DB_THREADS, thread_name_prefix="pobyt-db")
    return _db_threads


async def off_the_loop(store: Any, function: Callable[..., T], *args: Any) -> T:
    """Runs the blocking ``function(*args)`` on ``store``'s database in a worker thread (SQLite: here).

    Args:
        store: the SQL tracker store whose engine ``function`` uses.
        function: a blocking function.
        *args: its arguments.
    """
    engine = getattr(store, "engine", None)
    if engine is None or engine.dialect.name == "sqlite":
        return function(*args)  # the event loop thread owns SQLite's one connection
    return await asyncio.get_running_loop().run_in_executor(_worker_threads(), functools.partial(function, *args))


def _run_coroutine(operation: Callable[..., Awaitable[T]], *args: Any) -> T:
    # Rasa's store methods are coroutines that never await I/O: run to completion in this thread.
    return asyncio.run(operation(*args))


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
            self._use_engine(tracker_store_engine(self.engine.url, pre_ping=True))

    async def _retrying(self, operation: Callable[..., Awaitable[T]], *args: Any) -> T:
        delay, deadline = 0.5, time.monotonic() + self.retry_s
        while True:
            try:
                if self.engine.dialect.name == "sqlite":
                    return await operation(*args)
                return await off_the_loop(self, _run_coroutine, operation, *args)
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
