"""Attack: many password guesses sent at once must not slip past the sign-in throttle.

The throttle used to check the count before the password hash was awaited and record the failure
after it, so every guess in flight was checked (200 concurrent guesses: all checked, the right one
let in). Each check also costs 600,000 PBKDF2 rounds on the thread pool the assistant shares.

Here every password check is held at a gate until the test lets it go, so the guesses really are
in flight together; what the attacker observes is each request's answer.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import aiohttp
import pytest

from pobyt.staff.auth import StaffAuth
from pobyt.staff.channel import StaffConsole
from tests.test_staff_input import HEADERS, PASSWORD, USER, console_env, running_console

GUESSES = 200
#: How long the test waits for the server's answers before it gives up (a bound, not a pause).
ANSWER_BOUND_S = 20.0


class GatedChecks:
    """Replaces the password check: records each check and holds it until :meth:`release`."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.lock = threading.Lock()
        self.checked: List[str] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self._check = StaffAuth.check_password

    def __call__(self, auth: StaffAuth, user: str, password: str) -> bool:
        with self.lock:
            self.checked.append(password)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            self.gate.wait(ANSWER_BOUND_S * 2)
            return self._check(auth, user, password)
        finally:
            with self.lock:
                self.in_flight -= 1

    def release(self) -> None:
        self.gate.set()


@pytest.fixture
def gated(monkeypatch: pytest.MonkeyPatch) -> Iterator[GatedChecks]:
    checks = GatedChecks()
    # A plain function, so that it is bound to the StaffAuth it is called on like the original.
    monkeypatch.setattr(StaffAuth, "check_password", lambda auth, user, password: checks(auth, user, password))
    yield checks
    checks.release()


def _console(tmp_path: Path, **env: str) -> Any:
    return running_console(console_env(tmp_path, **env))


async def _sign_in(session: aiohttp.ClientSession, base: str, password: str) -> Tuple[int, Dict[str, Any]]:
    async with session.post(
        f"{base}/staff/api/login", json={"user": USER, "password": password}, headers=HEADERS
    ) as reply:
        return reply.status, await reply.json(content_type=None)


async def _guess_at_once(base: str, gated: GatedChecks, held: int) -> Tuple[List[asyncio.Task], Tuple[int, Any]]:
    """Sends GUESSES wrong passwords at once; once all but ``held`` are answered, the right one.

    Returns the guesses' tasks and the right password's (status, body). The checks are released
    after the right password is answered, or after ANSWER_BOUND_S when it is not (unfixed code).
    """
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    try:
        guesses = [asyncio.create_task(_sign_in(session, base, f"wrong {n}")) for n in range(GUESSES)]
        answered = 0
        try:
            for next_answer in asyncio.as_completed(guesses, timeout=ANSWER_BOUND_S):
                await next_answer
                answered += 1
                if answered >= GUESSES - held:
                    break
        except asyncio.TimeoutError:
            pass  # the unfixed server answers no guess until the checks are released
        right = asyncio.create_task(_sign_in(session, base, PASSWORD))
        done, _ = await asyncio.wait({right}, timeout=ANSWER_BOUND_S)
        gated.release()
        await asyncio.gather(*guesses)
        return guesses, await right
    finally:
        await session.close()


async def test_concurrent_guesses_check_at_most_the_allowed_number(tmp_path: Path, gated: GatedChecks):
    with _console(tmp_path, POBYT_STAFF_LOGIN_HASHES="8") as (base, _):
        guesses, (status, body) = await _guess_at_once(base, gated, held=5)
    statuses = sorted(task.result()[0] for task in guesses)
    assert len(gated.checked) <= 5, f"{len(gated.checked)} of {GUESSES} concurrent guesses were checked"
    assert PASSWORD not in gated.checked
    assert statuses.count(401) <= 5 and set(statuses) <= {401, 429}
    assert status == 429 and "Too many" in body["error"], "the right password got in after the limit"


async def test_password_hashes_in_flight_never_exceed_the_cap(tmp_path: Path, gated: GatedChecks):
    with _console(tmp_path, POBYT_STAFF_LOGIN_ATTEMPTS="500", POBYT_STAFF_LOGIN_HASHES="2") as (base, _):
        guesses, _ = await _guess_at_once(base, gated, held=2)
    statuses = [task.result() for task in guesses]
    assert gated.most_in_flight <= 2, f"{gated.most_in_flight} password hashes ran at once"
    busy = [body for status, body in statuses if status == 503]
    assert len(busy) >= GUESSES - 2 and all(body.get("error") for body in busy)  # JSON with a reason


async def test_a_busy_refusal_is_not_counted_as_a_guess(tmp_path: Path, gated: GatedChecks):
    gated.release()  # checks run at once: nothing is in flight between requests
    with _console(tmp_path, POBYT_STAFF_LOGIN_HASHES="1") as (base, channel):
        assert isinstance(channel, StaffConsole)
        async with aiohttp.ClientSession() as session:
            for _ in range(4):
                assert (await _sign_in(session, base, "wrong"))[0] == 401
            assert (await _sign_in(session, base, PASSWORD))[0] == 200
