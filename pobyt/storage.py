"""The embedded tracker store: Rasa's SQL tracker store, tuned for a SQLite file.

Rasa opens a new SQLite connection for every read and write (SQLAlchemy 1.4 uses no pool for
SQLite files) and SQLite's default journal syncs the disk twice per commit. Here one connection is
kept and the database runs in write-ahead-log mode with ``synchronous=NORMAL``: a commit survives a
crash of the assistant (the log is replayed on start), only an operating-system crash or power loss
can drop the last commits. Other databases (PostgreSQL) are left exactly as Rasa configures them.

Configured in endpoints.yml as ``type: pobyt.storage.SQLiteTrackerStore`` with Rasa's SQL keys.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy.pool import StaticPool

logger = logging.getLogger(__name__)

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
