"""A Redis lock store whose ticket lock changes are atomic, so several Rasa servers can share it.

Rasa takes a per-conversation ticket lock before it handles a message: each message draws a ticket
and waits until its number is served. Rasa 3.6's ``RedisLockStore`` reads the lock, changes it in
Python and writes it back in separate commands. Two servers drawing a ticket for the same person at
the same instant both read "no lock", both write ticket 0, and both handle their message at once:
one turn's events overwrite the other's (RasaHQ/rasa#9213; Rasa's fix #11256 was reverted in #11428).
Finishing a ticket had the same gap: a server could delete the lock just after another drew a ticket.

Here every read-change-write runs as one Redis transaction (WATCH the key, MULTI/EXEC the write,
retry when another server changed the key in between), with Rasa's own ``TicketLock`` logic and
data format, so a lock written by one version can be read by the other.

Configured in endpoints.prod.yml as ``type: pobyt.locks.AtomicRedisLockStore`` with the keys of
Rasa's ``redis`` lock store.

A conversation's lock lasts LOCK_LIFETIME_S (Rasa's action-call timeout, 300 s, and a margin)
instead of Rasa's 60 s: Rasa waits up to 300 s for the action server, and a lock that expired
earlier let the person's next message run beside the hung turn, the two overwriting each other's
events. ``TICKET_LOCK_LIFETIME`` still raises it. The embedded setup (endpoints.yml) uses
:class:`InMemoryLockStore`, Rasa's in-memory store with the same lifetime.
"""

from __future__ import annotations

import json
from typing import Any, AsyncContextManager, Callable, Optional, Tuple, TypeVar

from rasa.core import lock_store as rasa_lock_store
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

T = TypeVar("T")
#: Seconds a turn may hold its conversation's lock after Rasa's action call timed out.
LOCK_MARGIN_S = 60
#: A conversation's lock lifetime: longer than an action call can take (Rasa's TICKET_LOCK_LIFETIME if longer).
LOCK_LIFETIME_S = max(DEFAULT_REQUEST_TIMEOUT + LOCK_MARGIN_S, rasa_lock_store.LOCK_LIFETIME)

#: A change of a conversation's lock: gets the stored lock (or None) and returns the lock to store
#: (None deletes it) and the value the caller wants back.
LockChange = Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], T]]


class _LocksOutliveActions:
    """Makes a lock store's locks last LOCK_LIFETIME_S unless the caller says otherwise (Rasa does not)."""

    def lock(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME_S, wait_time_in_seconds: float = 1
    ) -> AsyncContextManager[TicketLock]:
        """Rasa's ``LockStore.lock`` with a lifetime longer than an action call."""
        return super().lock(conversation_id, lock_lifetime, wait_time_in_seconds)  # type: ignore[misc]

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME_S) -> int:
        """Rasa's ``LockStore.issue_ticket`` with a lifetime longer than an action call."""
        return super().issue_ticket(conversation_id, lock_lifetime)  # type: ignore[misc]


class InMemoryLockStore(_LocksOutliveActions, rasa_lock_store.InMemoryLockStore):
    """Rasa's in-memory lock store (one Rasa process) with locks that outlive an action call."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None) -> None:
        """Creates the store; the endpoints file's section has no settings for it."""
        super().__init__()


class AtomicRedisLockStore(_LocksOutliveActions, RedisLockStore):
    """Rasa's Redis lock store with each ticket-lock update done in one Redis transaction."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        """Connects to Redis like Rasa's ``redis`` lock store.

        Args:
            endpoint_config: The ``lock_store`` section of the endpoints file (``url`` is the host;
                ``port``, ``db``, ``password``, ``key_prefix``... as for Rasa's Redis lock store).
            **kwargs: The same settings passed directly (tests), used without an endpoint config.
        """
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def _change(self, conversation_id: str, change: LockChange[T]) -> T:
        """Applies ``change`` to the conversation's lock atomically, retrying on concurrent writes."""
        key = self.key_prefix + conversation_id

        def attempt(pipe: Any) -> T:
            serialised = pipe.get(key)  # the pipe is in immediate mode while it WATCHes the key
            lock = TicketLock.from_dict(json.loads(serialised)) if serialised else None
            new_lock, result = change(lock)
            pipe.multi()
            if new_lock is None:
                pipe.delete(key)
            else:
                pipe.set(key, new_lock.dumps())
            return result

        return self.red.transaction(attempt, key, value_from_callable=True)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME_S) -> int:
        """Draws the next ticket of the conversation's lock, creating the lock if there is none.

        Args:
            conversation_id: The conversation (sender) id.
            lock_lifetime: Seconds after which the ticket expires.

        Returns:
            The ticket's number.

        Raises:
            LockError: Redis could not be reached or refused the command.
        """

        def draw(lock: Optional[TicketLock]) -> Tuple[TicketLock, int]:
            lock = lock or self.create_lock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, draw)
        except Exception as error:  # Rasa's contract: any failure to take a ticket is a LockError
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        """Removes the expired tickets of the conversation's lock, if it exists."""

        def drop_expired(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Removes the ticket ``ticket_number`` from the conversation's lock."""

        def remove(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._change(conversation_id, remove)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Removes the ticket and, in the same transaction, deletes the lock if no one else waits."""

        def remove_and_maybe_delete(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._change(conversation_id, remove_and_maybe_delete)
