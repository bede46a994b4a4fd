"""Renames Telegram conversations stored before ids named their channel: ``<chat id>`` becomes ``tg:<chat id>``.

Run once after upgrading, with the assistant stopped (it is idempotent: a second run renames nothing):

    .venv/bin/python -m pobyt.migrate_senders                      # endpoints.yml (SQLite, pobyt.db)
    .venv/bin/python -m pobyt.migrate_senders --endpoints endpoints.prod.yml   # PostgreSQL (.env set)

A conversation is renamed when its id is a bare integer (Telegram's chat id) and one of its user
messages came through the Telegram channel; widget and REST conversations are left as they were
(their old ids are no longer reachable: retention deletes them). When a ``tg:`` conversation of the
same chat already exists (the chat wrote after the upgrade), the old events join it, before the new
ones (events are read in the order they were stored).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import List, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from pobyt.channels.identity import TELEGRAM_PREFIX

#: A bare Telegram chat id (negative for groups).
BARE_CHAT_ID = re.compile(r"^-?[0-9]{1,20}$")
TELEGRAM_CHANNEL = "telegram"


def _came_through_telegram(connection: sa.engine.Connection, sender_id: str) -> bool:
    rows = connection.execute(
        sa.text("SELECT data FROM events WHERE sender_id = :sender AND type_name = 'user' AND data LIKE :channel"),
        {"sender": sender_id, "channel": f"%{TELEGRAM_CHANNEL}%"},
    )
    for (data,) in rows:
        try:
            if json.loads(data).get("input_channel") == TELEGRAM_CHANNEL:
                return True
        except (TypeError, ValueError, AttributeError):
            continue
    return False


def old_telegram_senders(connection: sa.engine.Connection) -> List[str]:
    """Returns the stored conversation ids that are bare Telegram chat ids."""
    senders = connection.execute(sa.text("SELECT DISTINCT sender_id FROM events")).scalars()
    return sorted(s for s in senders if BARE_CHAT_ID.match(s or "") and _came_through_telegram(connection, s))


def migrate(engine: Engine) -> int:
    """Renames every bare Telegram chat id to ``tg:<chat id>`` in one transaction.

    Args:
        engine: the tracker store's database (Rasa's ``events`` table).

    Returns:
        How many conversations were renamed (0 when there is nothing left to do, or no table yet).
    """
    if not sa.inspect(engine).has_table("events"):
        return 0
    with engine.begin() as connection:
        senders = old_telegram_senders(connection)
        for sender in senders:
            connection.execute(
                sa.text("UPDATE events SET sender_id = :new WHERE sender_id = :old"),
                {"new": f"{TELEGRAM_PREFIX}{sender}", "old": sender},
            )
    return len(senders)


def engine_from_endpoints(path: str) -> Engine:
    """Returns an engine for the SQL tracker store an endpoints file configures.

    Raises:
        SystemExit: when the file configures no SQL tracker store.
    """
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.core.utils import AvailableEndpoints

    config = AvailableEndpoints.read_endpoints(path).tracker_store
    if config is None or "dialect" not in config.kwargs:
        raise SystemExit(f"{path} configures no SQL tracker store: nothing to migrate")
    kwargs = config.kwargs
    port = kwargs.get("port")
    url = SQLTrackerStore.get_db_url(
        dialect=kwargs["dialect"],
        host=config.url,
        port=int(port) if port else None,
        db=kwargs.get("db", "rasa.db"),
        username=kwargs.get("username"),
        password=kwargs.get("password"),
        query=kwargs.get("query"),
    )
    return sa.create_engine(url, hide_parameters=True)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the migration on the tracker store of ``--endpoints``; prints how many conversations moved."""
    parser = argparse.ArgumentParser(prog="python -m pobyt.migrate_senders", description=__doc__.split("\n")[0])
    parser.add_argument("--endpoints", default="endpoints.yml", help="endpoints file (default: endpoints.yml)")
    args = parser.parse_args(argv)
    engine = engine_from_endpoints(args.endpoints)
    try:
        renamed = migrate(engine)
    finally:
        engine.dispose()
    print(f"Renamed {renamed} Telegram conversation(s) to {TELEGRAM_PREFIX}<chat id>.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
