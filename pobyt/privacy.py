"""Forgetting a person's conversation on request (Telegram's /forget, the widget's forget route).

Rasa 3.6's tracker stores have no delete, so this knows the two the project uses: the SQL store
(rows of its ``events`` table) and the in-memory store (a dict). Other stores are logged and left
as they are; the caller tells the person the conversation could not be deleted.

Staff notes quoting the conversation's messages are deleted with it. With SQLite, deleted rows are
overwritten (``secure_delete``, pobyt/storage.py) and the write-ahead log, which still holds the
pages as they were written, is emptied into the file (:func:`wipe_sqlite_log`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, List

from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore, TrackerStore
from rasa.shared.core.events import UserUttered

from pobyt.staff.notes import NoteStore
from pobyt.storage import off_the_loop

logger = logging.getLogger(__name__)


def underlying_stores(tracker_store: Any) -> List[TrackerStore]:
    """Returns the stores wrapped by Rasa's FailSafe/Awaitable wrappers, outermost first.

    The fail-safe wrapper's in-memory fallback is included when it was created (it then holds
    conversations saved while the main store was down).
    """
    stores: List[TrackerStore] = []
    current = tracker_store
    while current is not None and current not in stores:
        stores.append(current)
        fallback = getattr(current, "_fallback_tracker_store", None)
        if fallback is not None:
            stores.append(fallback)
        current = getattr(current, "_tracker_store", None)
    return stores


def user_texts(store: TrackerStore, sender_id: str) -> List[str]:
    """Returns what the person wrote in ``sender_id``'s conversation in ``store`` (SQL or in-memory)."""
    if isinstance(store, SQLTrackerStore):
        events = store.SQLEvent
        with store.session_scope() as session:
            rows = session.query(events.data).filter(events.sender_id == sender_id, events.type_name == "user").all()
        texts = []
        for (data,) in rows:
            try:
                texts.append(str(json.loads(data or "{}").get("text") or ""))
            except ValueError:
                continue
        return texts
    if isinstance(store, InMemoryTrackerStore) and sender_id in store.store:
        try:
            tracker = store.deserialise_tracker(sender_id, store.store[sender_id])
        except ValueError:  # unreadable: nothing to quote, and the conversation is deleted all the same
            return []
        return [e.text or "" for e in (tracker.events if tracker else []) if isinstance(e, UserUttered)]
    return []


def wipe_sqlite_log(store: SQLTrackerStore) -> None:
    """Empties an SQLite store's write-ahead log into its file: the log still holds deleted rows as written."""
    if store.engine.dialect.name == "sqlite":
        with store.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def delete_notes_quoting(texts: List[str]) -> None:
    """Deletes the staff notes quoting any of ``texts`` (the notes file of this process)."""
    deleted = NoteStore.from_environment().delete_quoting(texts)
    if deleted:
        logger.info("Deleted %d staff note(s) quoting a deleted conversation", deleted)


def _delete_sql(store: SQLTrackerStore, sender_id: str) -> int:
    with store.session_scope() as session:
        deleted = (
            session.query(store.SQLEvent)
            .filter(store.SQLEvent.sender_id == sender_id)
            .delete(synchronize_session=False)
        )
        session.commit()
    return int(deleted or 0)


async def forget_conversation(agent: Any, sender_id: str) -> bool:
    """Deletes every stored event of ``sender_id``'s conversation, and the staff notes quoting it.

    Args:
        agent: the Rasa agent (``request.app.ctx.agent``); its lock store keeps a message of the
            same person from being processed while the conversation is deleted.
        sender_id: the conversation's id.

    Returns:
        True when the conversation was deleted (or there was none), False when the tracker store
        is of a kind this cannot delete from, or deleting failed.
    """
    stores = underlying_stores(getattr(agent, "tracker_store", None))
    known = [s for s in stores if isinstance(s, (SQLTrackerStore, InMemoryTrackerStore))]
    if not known:
        logger.warning("Cannot delete a conversation from tracker store(s) %s", [type(s).__name__ for s in stores])
        return False
    try:
        async with agent.lock_store.lock(sender_id):
            texts = [text for store in known for text in await off_the_loop(store, user_texts, store, sender_id)]
            for store in known:
                if isinstance(store, SQLTrackerStore):
                    deleted = await off_the_loop(store, _delete_sql, store, sender_id)
                    wipe_sqlite_log(store)
                    logger.info("Deleted a conversation on request (%d events)", deleted)
                else:
                    store.store.pop(sender_id, None)
                    logger.info("Deleted a conversation on request (in memory)")
            await asyncio.get_running_loop().run_in_executor(None, delete_notes_quoting, texts)  # a file on disk
    except Exception:  # noqa: BLE001 - the person is told it failed; the reason goes to the log
        logger.exception("Deleting a conversation failed")
        return False
    return True
