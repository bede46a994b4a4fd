"""Fault: PostgreSQL stops answering mid-conversation (a dropped network, not a refused connection).

Rasa's SQL tracker store runs its queries on the event loop, and without a connection timeout a
connection attempt to a host that never answers waits for the operating system's TCP timeout: the
whole server stalled, every other conversation and the health check with it. Here the database sits
behind a small TCP relay that, on cue, stops answering: new connections are accepted and never
spoken to, existing ones are cut.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator, List

import pytest
import requests
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from pobyt.storage import PG_CONNECT_TIMEOUT_S, ResilientSQLTrackerStore
from tests.pg_redis import PROD_ENDPOINTS, Services, running_cluster, say, services_or_skip
from tests.servers import MODEL, ROOT, free_port

#: The outage ends by itself after this long, so that a stalled event loop cannot hang the test.
OUTAGE_S = 20.0
RETRY_S = 1.0


class SilentRelay:
    """Relays 127.0.0.1:<port> to PostgreSQL until :meth:`go_silent`; then it never answers."""

    def __init__(self, target_port: int) -> None:
        self.port, self.target_port = free_port(), target_port
        self.silent = threading.Event()
        self.sockets: List[socket.socket] = []
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.sockets.append(client)
            if self.silent.is_set():
                continue  # accepted, never answered: what a dropped network looks like to the client
            server = socket.create_connection(("127.0.0.1", self.target_port))
            self.sockets.append(server)
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while not self.silent.is_set():
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.close()

    def go_silent(self) -> None:
        """From now on nothing answers; open connections are cut."""
        self.silent.set()
        for end in list(self.sockets):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.listener.close()
        self.go_silent()


@pytest.fixture(scope="module")
def services() -> Iterator[Services]:
    with services_or_skip(needs_model=False) as running:
        yield running


async def test_a_silent_database_does_not_stall_the_server(services: Services, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("POBYT_DB_RETRY_S", str(RETRY_S))
    relay = SilentRelay(int(services.env["POBYT_DB_PORT"]))
    try:
        domain = Domain.load(str(ROOT / "domain.yml"))
        kwargs = {**services.store_kwargs(), "port": relay.port}
        store = ResilientSQLTrackerStore(domain=domain, **kwargs)
        tracker = DialogueStateTracker("outage", domain.slots)
        tracker.update(UserUttered("hello", {"name": "greet", "confidence": 1.0}))
        tracker.update(ActionExecuted("action_listen"))
        await store.save(tracker)

        relay.go_silent()
        ending = threading.Timer(OUTAGE_S, relay.close)  # a bound for the unfixed store, not a pause
        ending.daemon = True
        ending.start()
        loop = asyncio.get_running_loop()
        gaps: List[float] = []

        async def heartbeat() -> None:  # stands in for every other request the server is serving
            last = loop.time()
            while True:
                await asyncio.sleep(0.05)
                gaps.append(loop.time() - last - 0.05)
                last = loop.time()

        beating = asyncio.create_task(heartbeat())
        started = time.monotonic()
        with pytest.raises(Exception):  # noqa: B017 - the store gives up; Rasa's fail-safe then answers
            await store.retrieve("outage")
        gave_up_after = time.monotonic() - started
        beating.cancel()
    finally:
        relay.close()
    longest = max(gaps, default=gave_up_after)  # no beat at all: stalled throughout
    print(f"retrieve gave up after {gave_up_after:.1f} s; longest event-loop stall {longest:.2f} s")
    assert longest < 1.0, f"the event loop stalled for {longest:.1f} s"
    assert gave_up_after < PG_CONNECT_TIMEOUT_S + RETRY_S + 3


@pytest.mark.e2e
def test_a_person_gets_an_answer_while_postgresql_is_down(services: Services, tmp_path: Path):
    """End to end: PostgreSQL stops mid-conversation; the answer comes within a bound, and meanwhile
    the server keeps answering other requests (its health check)."""
    if not MODEL.exists():
        pytest.skip("no trained model: run `make train` (make test does)")
    env = {**services.env, "POBYT_DB_RETRY_S": "5", "POBYT_REPLY_TIMEOUT_S": "20"}
    with running_cluster(tmp_path, PROD_ENDPOINTS, env, count=1) as cluster:
        url = cluster.urls[0]
        say(url, "outage-person", "what do I need for temporary protection")
        services.stop_postgres()
        try:
            with ThreadPoolExecutor(max_workers=1) as pool:
                started = time.monotonic()
                pending = pool.submit(say, url, "outage-person", "how much does it cost", 120)
                health: List[float] = []
                while not pending.done():  # the server's other requests, while the message waits
                    asked = time.monotonic()
                    requests.get(f"{url}/", timeout=30).raise_for_status()
                    health.append(time.monotonic() - asked)
                replies = pending.result()
                answered_after = time.monotonic() - started
        finally:
            services.start_postgres()
    print(f"answered after {answered_after:.1f} s with PostgreSQL down; slowest health check {max(health):.2f} s")
    assert replies and all(reply.get("text") for reply in replies)
    assert answered_after < 5 + PG_CONNECT_TIMEOUT_S + 20  # retry time, one connection attempt, margin
    assert max(health) < 2.0
