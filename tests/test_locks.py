"""The atomic Redis lock store (pobyt/locks.py) against a real Redis server.

Two store objects play two Rasa servers (each has its own Redis connection, as two processes do);
threads with their own event loops draw tickets for one conversation at the same instant.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator, List, Tuple

import pytest
from rasa.core.lock_store import LockStore
from rasa.utils.endpoints import EndpointConfig

from pobyt.locks import AtomicRedisLockStore
from tests.pg_redis import Services, services_or_skip

pytestmark = pytest.mark.e2e

THREADS_PER_SERVER = 6


@pytest.fixture(scope="module")
def services() -> Iterator[Services]:
    with services_or_skip(needs_model=False) as running:
        yield running


def make_store(services: Services) -> AtomicRedisLockStore:
    """A lock store configured the way Rasa reads endpoints.prod.yml's ``lock_store`` section."""
    env = services.env
    config = EndpointConfig(
        url=env["POBYT_REDIS_HOST"],
        type="pobyt.locks.AtomicRedisLockStore",
        port=env["POBYT_REDIS_PORT"],
        db=env["POBYT_REDIS_DB"],
        password=env["POBYT_REDIS_PASSWORD"],
        key_prefix="pobyt",
    )
    store = LockStore.create(config)
    assert isinstance(store, AtomicRedisLockStore)
    return store


def test_configured_from_the_endpoints_file_with_the_key_prefix(services):
    store = make_store(services)
    ticket = store.issue_ticket("prefix-check")
    assert ticket == 0
    assert store.red.exists("pobyt:lock:prefix-check") == 1
    store.cleanup("prefix-check", ticket)
    assert store.red.exists("pobyt:lock:prefix-check") == 0


def test_tickets_drawn_at_the_same_instant_on_two_servers_are_all_different(services):
    stores = [make_store(services), make_store(services)]
    conversation = "same-instant"
    count = 2 * THREADS_PER_SERVER
    for round_number in range(10):
        start = threading.Barrier(count)

        def draw(index: int, start: threading.Barrier = start) -> int:
            start.wait()
            return stores[index % 2].issue_ticket(conversation)

        with ThreadPoolExecutor(max_workers=count) as pool:
            tickets = list(pool.map(draw, range(count)))
        assert sorted(tickets) == list(range(count)), f"round {round_number}: {sorted(tickets)}"
        for ticket in tickets:
            stores[0].cleanup(conversation, ticket)
        assert stores[0].get_lock(conversation) is None  # the last one out deleted the lock


def test_one_conversation_is_handled_by_one_server_at_a_time(services):
    """Rasa's ``lock()`` on both servers at once: critical sections never overlap, none is dropped."""
    stores = [make_store(services), make_store(services)]
    conversation = "one-at-a-time"
    log: List[Tuple[str, int]] = []
    log_guard = threading.Lock()
    count = 2 * THREADS_PER_SERVER
    start = threading.Barrier(count)

    async def handle(index: int) -> None:
        async with stores[index % 2].lock(conversation, lock_lifetime=30, wait_time_in_seconds=0.01):
            with log_guard:
                log.append(("enter", index))
            stores[index % 2].get_lock(conversation)  # a Redis round trip: other threads run meanwhile
            with log_guard:
                log.append(("leave", index))

    def message(index: int) -> None:
        start.wait()
        asyncio.run(handle(index))

    with ThreadPoolExecutor(max_workers=count) as pool:
        list(pool.map(message, range(count)))

    assert len(log) == 2 * count
    for position in range(0, len(log), 2):
        (first, index), (second, same) = log[position], log[position + 1]
        assert (first, second, index) == ("enter", "leave", same), log
    assert stores[1].get_lock(conversation) is None


def test_a_ticket_drawn_while_the_last_one_finishes_keeps_the_lock(services):
    """Finishing removes the lock only when nobody waits: a ticket drawn meanwhile is not lost."""
    first, second = make_store(services), make_store(services)
    conversation = "finish-and-draw"
    mine = first.issue_ticket(conversation)
    theirs = second.issue_ticket(conversation)
    first.cleanup(conversation, mine)
    lock = second.get_lock(conversation)
    assert lock is not None and not lock.is_locked(theirs)
    second.cleanup(conversation, theirs)
    assert first.get_lock(conversation) is None


def test_expired_tickets_are_dropped_so_the_next_message_is_served(services):
    store = make_store(services)
    conversation = "expired"
    store.issue_ticket(conversation, lock_lifetime=-1)  # a server that died while holding the lock
    waiting = store.issue_ticket(conversation, lock_lifetime=30)
    store.update_lock(conversation)
    lock = store.get_lock(conversation)
    assert lock is not None and [t.number for t in lock.tickets] == [waiting]
    store.cleanup(conversation, waiting)
