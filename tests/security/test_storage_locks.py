"""Fault: a hung action must not let the person's next message run beside it.

Rasa calls the action server with a 300 s timeout, but its conversation lock expired after 60 s:
while an action hung, the next message of the same person took the lock and ran beside it, and the
two turns' events overwrote each other. The lock stores of both endpoints files now keep a
conversation locked for longer than an action call can take.
"""

from __future__ import annotations

import pytest
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.core.lock_store import LockStore
from rasa.core.utils import AvailableEndpoints

from pobyt.locks import LOCK_LIFETIME_S
from tests.servers import ROOT


class Clock:
    """Stands in for time.time in Rasa's ticket lock."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock(1_800_000_000.0)
    monkeypatch.setattr("rasa.core.lock.time.time", clock)
    return clock


async def test_a_message_waits_while_an_action_may_still_be_running(clock: Clock):
    store = LockStore.create(AvailableEndpoints.read_endpoints(str(ROOT / "endpoints.yml")).lock_store)
    async with store.lock("person"):  # a turn whose action call hangs
        clock.now += DEFAULT_REQUEST_TIMEOUT - 1  # the action call has not timed out yet
        next_ticket = store.issue_ticket("person")  # the person's next message
        store.update_lock("person")
        assert store.get_lock("person").is_locked(next_ticket), "the next message would run beside the hung turn"
        store.finish_serving("person", next_ticket)


def test_the_lock_outlives_the_action_timeout_in_both_endpoints_files(monkeypatch: pytest.MonkeyPatch):
    for variable in ("ACTION_SERVER_URL", "DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD"):
        monkeypatch.setenv(f"POBYT_{variable}", "1")
    for variable in ("HOST", "PORT", "DB", "PASSWORD"):
        monkeypatch.setenv(f"POBYT_REDIS_{variable}", "1")
    assert LOCK_LIFETIME_S > DEFAULT_REQUEST_TIMEOUT
    for name in ("endpoints.yml", "endpoints.prod.yml"):
        lock_type = AvailableEndpoints.read_endpoints(str(ROOT / name)).lock_store.type
        assert lock_type.startswith("pobyt.locks."), (name, lock_type)
