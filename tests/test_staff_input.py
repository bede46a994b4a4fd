"""Bad input on the staff console's JSON endpoints, and sign-in throttling.

The console's blueprint runs in a real Sanic server inside the test's event loop (no Rasa, no model:
the agent is a stand-in that parses every message as a fallback), so requests are parsed exactly
as in production. Each case asserts what the console's client sees: a JSON 4xx (or a clear result),
never a 500, and the server still answers afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Tuple

import pytest
import requests
from sanic import Sanic

from pobyt.staff.auth import COOKIE_NAME, hash_password
from pobyt.staff.channel import StaffConsole
from pobyt.staff.throttle import HashSlots, LoginThrottle, ThrottleSettings
from tests.servers import free_port
from tests.test_staff_units import FAST

USER, PASSWORD = "anna", "correct horse"
HEADERS = {"X-Requested-With": "pobyt-staff", "Content-Type": "application/json"}


class FallbackAgent:
    """Stands in for Rasa's agent: ready, and parses every message as a fallback."""

    tracker_store = None

    def is_ready(self) -> bool:
        return True

    async def parse_message(self, text: str) -> Dict[str, Any]:
        return {"text": text, "intent": {"name": "nlu_fallback", "confidence": 0.3}, "entities": []}


class Console:
    """A console client with its own cookies: ``post`` and ``request`` return (status, headers, JSON or text)."""

    def __init__(self, base: str) -> None:
        self.base, self.client = base, requests.Session()

    def request(self, method: str, path: str, data: Optional[bytes] = None) -> Tuple[int, Any, Any]:
        reply = self.client.request(method, self.base + path, data=data, headers=HEADERS, timeout=30)
        try:
            body = reply.json()
        except ValueError:
            body = reply.text
        return reply.status_code, reply.headers, body

    def post(self, path: str, body: Any) -> Tuple[int, Any, Any]:
        return self.request("POST", path, body if isinstance(body, bytes) else json.dumps(body).encode())

    def sign_in(self, user: str = USER, password: str = PASSWORD) -> int:
        return self.post("/staff/api/login", {"user": user, "password": password})[0]


@contextlib.contextmanager
def running_console(env: Dict[str, str], agent: Any = None) -> Iterator[Tuple[str, StaffConsole]]:
    """The console's blueprint in a real Sanic server, on its own thread and event loop.

    Args:
        env: environment variables set while the console is built (accounts, throttle, notes file...).
        agent: the stand-in for Rasa's agent (default: :class:`FallbackAgent`).
    """
    patch = pytest.MonkeyPatch()
    for name, value in env.items():
        patch.setenv(name, value)
    # Sanic 21.12 rewrites its own methods once per process unless in test mode, and a second app
    # then fails to start (KeyError 'send'): test mode lets one test process start several.
    patch.setattr(Sanic, "test_mode", True)
    app = Sanic(f"staff_console_{free_port()}")
    channel = StaffConsole()
    app.blueprint(channel.blueprint(lambda message: None), url_prefix=channel.url_prefix())
    app.ctx.agent = agent or FallbackAgent()
    port = free_port()
    loop = asyncio.new_event_loop()
    started = threading.Event()

    async def start() -> Any:
        running = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
        await running.startup()
        await running.start_serving()
        return running

    def serve() -> None:
        asyncio.set_event_loop(loop)
        holder.append(loop.run_until_complete(start()))
        started.set()
        loop.run_forever()

    holder: list = []
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(30), "the staff console did not start"
    try:
        yield f"http://127.0.0.1:{port}", channel
    finally:
        patch.undo()
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def console_env(notes_dir: Path, **extra: str) -> Dict[str, str]:
    """The console's environment for tests: one account (fast hash), a notes file in ``notes_dir``."""
    return {
        "POBYT_STAFF_ACCOUNTS": f"{USER}:{hash_password(PASSWORD, iterations=FAST)}",
        "POBYT_SESSION_SECRET": "test-secret",
        "POBYT_STAFF_DB": str(notes_dir / "notes.sqlite"),
        "POBYT_STAFF_LOGIN_ATTEMPTS": "5",
        "POBYT_STAFF_LOGIN_WINDOW_MINUTES": "15",
        **extra,
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[str, StaffConsole]]:
    """The console in a real server (see :func:`running_console`)."""
    with running_console(console_env(tmp_path_factory.mktemp("staff"))) as running:
        yield running


@pytest.fixture
def console(server: Tuple[str, StaffConsole]) -> Console:
    """A new client of the running console; the sign-in count starts afresh."""
    base, channel = server
    channel.throttle = LoginThrottle(ThrottleSettings.from_environment())
    return Console(base)


# ---- Bad input with a valid session

LONG = "slovak residence permit " * 4200  # about 100 000 characters
BAD_BODIES = [
    b"{not json",
    b"\xff\xfe\xfa broken utf-8",
    b'{"text": "\xff\xfe"}',
    b"[1, 2]",
    b"null",
    b'"just text"',
]
WRONG_TYPES = [5, 1.5, ["a"], {"a": 1}, True]
TEXT_ENDPOINTS = [("/staff/api/analyse", "text"), ("/staff/api/kb/search", "q"), ("/staff/api/notes", "message")]


def _never_a_crash(status: int, body: Any) -> None:
    assert status < 500, body
    assert isinstance(body, dict), body  # JSON, not an HTML error page or a stack trace
    assert "Traceback" not in json.dumps(body)


def test_broken_bodies_get_a_json_400_on_every_post(console: Console):
    assert console.sign_in() == 200
    check = "/staff/api/checks/family"
    for path in [p for p, _ in TEXT_ENDPOINTS] + ["/staff/api/checks/x", check]:
        for body in BAD_BODIES:
            status, _, answer = console.post(path, body)
            _never_a_crash(status, answer)
            assert status == 400 or (path.endswith("/x") and status == 404), (path, body, status)
            assert answer["error"]
    status, _, answer = console.request("GET", "/staff/api/session")
    assert status == 200 and answer["user"] == USER


@pytest.mark.parametrize("value", WRONG_TYPES + [None])
def test_wrong_types_and_missing_fields_get_a_400_or_a_clear_result(console: Console, value: Any):
    assert console.sign_in() == 200
    for path, field in TEXT_ENDPOINTS:
        status, _, answer = console.post(path, {field: value})
        _never_a_crash(status, answer)
        if path.endswith("search") and value is None:
            assert (status, answer) == (200, {"results": []})  # nothing to search for
        else:
            assert status == 400 and answer["error"], (path, value, answer)
    status, _, answer = console.post("/staff/api/checks/family", {"typed": [value]})
    assert status == 400 and answer["error"]


@pytest.mark.parametrize("text", ["", "   ", "\t\n  ", "\x00\x07\x1b"])
def test_empty_and_whitespace_texts_are_refused(console: Console, text: str):
    assert console.sign_in() == 200
    status, _, answer = console.post("/staff/api/analyse", {"text": text})
    assert (status, answer) == (400, {"error": "Paste the client's message first."})
    status, _, answer = console.post("/staff/api/notes", {"kind": "wrong", "message": text})
    assert (status, answer) == (400, {"error": "empty message"})
    status, _, answer = console.post("/staff/api/kb/search", {"q": text})
    assert (status, answer) == (200, {"results": []})


def test_long_texts_and_control_characters_give_a_clear_result(console: Console):
    assert console.sign_in() == 200
    status, _, answer = console.post("/staff/api/analyse", {"text": LONG})
    assert status == 200 and len(answer["text"]) == 2_000  # analysed up to the limit
    status, _, answer = console.post("/staff/api/analyse", {"text": "temporary\x00 resi\x1bdence\x07"})
    assert status == 200 and answer["text"] == "temporary residence"
    status, _, answer = console.post("/staff/api/kb/search", {"q": LONG})
    assert status == 200 and isinstance(answer["results"], list)
    status, _, answer = console.post(
        "/staff/api/notes", {"kind": "wrong", "message": "bad\x00 answer", "comment": LONG}
    )
    assert status == 201
    assert answer["note"]["message"] == "bad answer" and len(answer["note"]["comment"]) == 2_000
    status, _, answer = console.post("/staff/api/checks/family", {"typed": "\x00" * 100_000, "answers": "nonsense"})
    _never_a_crash(status, answer)
    status, _, answer = console.request("GET", "/staff/api/notes")
    assert status == 200 and len(answer["notes"]) == 1


def test_bad_sign_in_bodies_get_a_json_4xx(console: Console):
    for body in BAD_BODIES + [b'{"user": 5, "password": "x"}', b'{"user": "anna", "password": ["x"]}']:
        status, _, answer = console.post("/staff/api/login", body)
        assert status == 400 and answer["error"], body
    status, _, answer = console.post("/staff/api/login", {"user": USER})
    assert (status, answer) == (401, {"error": "Wrong user name or password."})
    assert console.sign_in(USER, "x" * 100_000) == 401
    assert console.sign_in() == 200  # none of the above counted as a guess but the last


# ---- Sign-in throttling


def test_five_failures_lock_the_user_name_even_for_the_right_password(console: Console):
    for _ in range(5):
        assert console.sign_in(USER, "wrong") == 401
    status, headers, answer = console.post("/staff/api/login", {"user": USER, "password": PASSWORD})
    assert status == 429
    assert 14 * 60 < int(headers["Retry-After"]) <= 15 * 60
    assert answer["error"] == "Too many failed sign-ins. Try again later."
    assert COOKIE_NAME not in console.client.cookies


def test_five_failures_from_one_address_lock_every_name(console: Console):
    for number in range(5):
        assert console.sign_in(f"guess{number}", "wrong") == 401
    status, headers, _ = console.post("/staff/api/login", {"user": USER, "password": PASSWORD})
    assert status == 429 and int(headers["Retry-After"]) > 0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_throttle_counts_a_window_per_name_and_address():
    clock = Clock()
    throttle = LoginThrottle(ThrottleSettings(attempts=5, window_s=900), clock=clock)
    keys = ["user:anna", "ip:10.0.0.1"]
    for _ in range(4):
        throttle.failed(keys)
        clock.now += 60
    assert throttle.retry_after(keys) == 0
    throttle.failed(keys)
    # Blocked until the first failure (at 1000) leaves the window: 1000 + 900 - 1240.
    assert throttle.retry_after(["user:anna"]) == 660
    assert throttle.retry_after(["user:other", "ip:10.0.0.1"]) == 660  # the same address, another name
    assert throttle.retry_after(["user:other", "ip:10.0.0.2"]) == 0
    clock.now += 660
    assert throttle.retry_after(keys) == 0
    throttle.failed(keys)
    assert throttle.retry_after(keys) == 60  # the second failure (at 1060) is now the oldest counted
    throttle.succeeded("user:anna")
    assert throttle.retry_after(["user:anna"]) == 0


def test_the_throttle_keeps_bounded_memory():
    clock = Clock()
    throttle = LoginThrottle(ThrottleSettings(attempts=5, window_s=900), clock=clock, max_keys=100)
    for number in range(1000):
        for _ in range(10):
            throttle.failed([f"user:{number}"])
    assert len(throttle) == 100
    assert throttle.retry_after(["user:999"]) == 900
    clock.now += 901
    assert throttle.retry_after([f"user:{n}" for n in range(900, 1000)]) == 0
    assert len(throttle) == 0


def test_throttle_settings_come_from_the_environment():
    assert ThrottleSettings.from_environment({}) == ThrottleSettings(5, 900.0)
    settings = {"POBYT_STAFF_LOGIN_ATTEMPTS": "3", "POBYT_STAFF_LOGIN_WINDOW_MINUTES": "2"}
    assert ThrottleSettings.from_environment(settings) == ThrottleSettings(3, 120.0)
    for bad in ("0", "-1", "many", "1.5"):
        with pytest.raises(ValueError, match="POBYT_STAFF_LOGIN_ATTEMPTS"):
            ThrottleSettings.from_environment({"POBYT_STAFF_LOGIN_ATTEMPTS": bad})


def test_a_right_password_gets_its_counted_attempt_back():
    clock = Clock()
    throttle = LoginThrottle(ThrottleSettings(attempts=2, window_s=900), clock=clock)
    keys = ["user:anna", "ip:10.0.0.1"]
    throttle.failed(keys)  # counted before the check...
    throttle.refund(keys)  # ...and given back when the password was right
    assert len(throttle) == 0
    throttle.failed(keys)
    throttle.failed(keys)
    throttle.refund(["ip:10.0.0.1"])
    assert throttle.retry_after(["user:anna"]) == 900 and throttle.retry_after(["ip:10.0.0.1"]) == 0


def test_password_checks_at_once_are_capped():
    slots = HashSlots.from_environment({"POBYT_STAFF_LOGIN_HASHES": "2"})
    assert slots.take() and slots.take() and not slots.take()
    slots.give_back()
    assert slots.take()
    with pytest.raises(ValueError):
        HashSlots.from_environment({"POBYT_STAFF_LOGIN_HASHES": "0"})
