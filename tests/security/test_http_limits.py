"""HTTP limits of the real Rasa server (pobyt/http_limits.py), seen by a client or an attacker.

One real `rasa run` with the project's credentials.yml, `--cors "*"` (the most open widget setting),
Telegram configured (its Bot API unreachable: these tests never get as far as answering) and an
in-flight cap of 2. Requests are written on raw sockets where the point is what the server does
before the body arrives: a server that waits for the body never answers, and the socket times out.
"""

from __future__ import annotations

import socket
import time
from contextlib import ExitStack
from typing import Dict, Optional, Tuple
from urllib.parse import urlparse

import pytest
import requests

from tests.servers import API_TOKEN, MODEL, running_assistant

pytestmark = pytest.mark.e2e

SECRET = "test_webhook_secret"
MAX_IN_FLIGHT = 2
#: Long enough for a loaded server, short enough that a server waiting for a body fails the test.
ANSWER_WITHIN_S = 10.0


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    if not MODEL.exists():
        pytest.skip("no trained model: run `make train` (make test does)")
    env = {
        "POBYT_TODAY": "2026-11-24",
        "TELEGRAM_BOT_TOKEN": "123:test",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_URL": "http://127.0.0.1:9",
        "POBYT_MAX_IN_FLIGHT": str(MAX_IN_FLIGHT),
    }
    with running_assistant(tmp_path_factory.mktemp("http"), env, rasa_args=["--cors", "*"]) as url:
        yield url


def connect(url: str) -> socket.socket:
    address = urlparse(url)
    return socket.create_connection((address.hostname, address.port), timeout=ANSWER_WITHIN_S)


def send_head(sock: socket.socket, path: str, headers: Dict[str, str]) -> None:
    """Sends a POST's request line and headers only (the body, if any, is for the caller to send)."""
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    sock.sendall("\r\n".join(lines).encode())


def read_response(sock: socket.socket) -> Tuple[int, str]:
    """Reads the response's status and its head and body as text (until the server closes or 5 s pass)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)  # raises socket.timeout when the server says nothing
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")),
        0,
    )
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return int(head.split(b" ", 2)[1]), (head + b"\r\n\r\n" + rest).decode("utf-8", "replace")


def post_head_only(url: str, path: str, headers: Dict[str, str]) -> Tuple[int, str, float]:
    """A POST whose body is announced but never sent: (status, response, seconds to the answer)."""
    with connect(url) as sock:
        started = time.monotonic()
        send_head(sock, path, headers)
        status, text = read_response(sock)
        return status, text, time.monotonic() - started


# ---- request size


def test_a_1_mb_body_is_refused_413_before_it_is_read(assistant):
    status, _, seconds = post_head_only(
        assistant, "/webhooks/rest/webhook", {"Content-Type": "application/json", "Content-Length": str(1 << 20)}
    )
    assert status == 413
    assert seconds < 2


def test_a_1_mb_body_sent_in_full_gets_413_quickly(assistant):
    # A short message with 1 MB of padding: the channel itself would accept it (it ignores other keys).
    body = b'{"sender": "big", "message": "hi", "padding": "' + b"a" * (1 << 20) + b'"}'
    started = time.monotonic()
    try:
        response = requests.post(
            f"{assistant}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}, timeout=30
        )
        status: Optional[int] = response.status_code
    except requests.ConnectionError:
        status = None  # the server answered and closed before the client finished sending: refused too
    assert status in (413, None)
    assert time.monotonic() - started < 5


def test_a_chunked_body_over_the_limit_is_refused(assistant):
    with connect(assistant) as sock:
        send_head(sock, "/webhooks/rest/webhook", {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
        chunk = b"a" * 32768
        try:
            for _ in range(4):  # 128 KiB, twice the limit
                sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        except OSError:
            pass  # the server refused and closed while we were still sending
        status, _ = read_response(sock)
    assert status == 413


def test_rasas_own_api_has_the_same_limit(assistant):
    status, _, _ = post_head_only(
        assistant,
        f"/conversations/someone/tracker/events?token={API_TOKEN}",
        {"Content-Type": "application/json", "Content-Length": str(1 << 20)},
    )
    assert status == 413


def test_a_message_of_4000_characters_still_gets_an_answer(assistant):
    question = "What documents do I need for family reunion? "
    text = (question * 100)[:4000]
    started = time.monotonic()
    response = requests.post(
        f"{assistant}/webhooks/rest/webhook",
        params={"token": API_TOKEN},
        json={"sender": "long-message", "message": text},
        timeout=60,
    )
    assert response.status_code == 200
    replies = response.json()
    assert replies and all("technical problem" not in r.get("text", "").lower() for r in replies)
    assert time.monotonic() - started < 20
    events = requests.get(
        f"{assistant}/conversations/rest:long-message/tracker", params={"token": API_TOKEN}, timeout=30
    ).json()["events"]
    (said,) = [e for e in events if e["event"] == "user"]
    assert said["text"] == text  # the conversation keeps every character ...
    assert len(said["parse_data"]["text"]) <= 1000  # ... NLU read the first 1,000 at most
    assert said["parse_data"]["intent"]["name"] != "nlu_fallback"


# ---- Telegram: the secret before the body


def test_telegram_with_a_wrong_secret_is_refused_before_the_body_is_read(assistant):
    status, _, seconds = post_head_only(
        assistant,
        "/webhooks/telegram/webhook",
        # Under the size limit: only the secret check can refuse it before the body arrives.
        {"Content-Type": "application/json", "Content-Length": "60000", "X-Telegram-Bot-Api-Secret-Token": "wrong"},
    )
    assert status == 403
    assert seconds < 2


def test_telegram_with_the_secret_and_a_big_body_gets_413(assistant):
    status, _, _ = post_head_only(
        assistant,
        "/webhooks/telegram/webhook",
        {"Content-Type": "application/json", "Content-Length": str(1 << 20), "X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    assert status == 413


def test_telegram_with_the_secret_and_a_small_body_is_read(assistant):
    response = requests.post(
        f"{assistant}/webhooks/telegram/webhook",
        json={"update_id": 1, "poll": {"id": "1"}},  # an update kind the bot ignores: no reply is sent
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        timeout=30,
    )
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


# ---- CORS


def test_the_staff_console_answers_no_other_site(assistant):
    for path in ("/staff", "/staff/api/session", "/staff/api/login"):
        preflight = requests.options(
            f"{assistant}{path}",
            headers={
                "Origin": "https://evil.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
            timeout=10,
        )
        assert "Access-Control-Allow-Origin" not in preflight.headers, path
        assert "Access-Control-Allow-Credentials" not in preflight.headers, path
        page = requests.get(f"{assistant}{path}", headers={"Origin": "https://evil.example"}, timeout=10)
        assert "Access-Control-Allow-Origin" not in page.headers, path


def test_any_origin_never_comes_with_credentials(assistant):
    response = requests.post(
        f"{assistant}/webhooks/rest/webhook",
        params={"token": API_TOKEN},
        json={"sender": "cors", "message": "hello"},
        headers={"Origin": "https://partner.example"},
        timeout=60,
    )
    assert response.status_code == 200
    assert response.headers.get("Access-Control-Allow-Origin") == "*"  # not the caller's origin reflected
    assert "Access-Control-Allow-Credentials" not in response.headers
    preflight = requests.options(
        f"{assistant}/webhooks/rest/webhook",
        headers={"Origin": "https://partner.example", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert preflight.headers.get("Access-Control-Allow-Origin") == "*"
    assert "Access-Control-Allow-Credentials" not in preflight.headers


# ---- requests in flight across all senders


def rest_status(url: str) -> Tuple[int, dict]:
    # An invalid body: when admitted it gets 400 at once, so probing never reaches Rasa.
    response = requests.post(
        f"{url}/webhooks/rest/webhook",
        params={"token": API_TOKEN},
        json={"metadata": {"language": "uk"}},
        timeout=ANSWER_WITHIN_S,
    )
    return response.status_code, response.json()


def first_status(url: str, wanted: int) -> Tuple[int, dict]:
    """Probes until the server answers ``wanted`` (the held requests reach it asynchronously); bounded."""
    deadline = time.monotonic() + ANSWER_WITHIN_S
    status, body = rest_status(url)
    while status != wanted and time.monotonic() < deadline:
        status, body = rest_status(url)
    return status, body


def test_requests_in_flight_are_capped_across_senders_and_a_client_that_hangs_up_frees_its_place(assistant):
    with ExitStack() as held:
        sockets = []
        for _ in range(MAX_IN_FLIGHT):
            # The Telegram webhook reads its body only after the secret: these stay in flight.
            sock = held.enter_context(connect(assistant))
            headers = {"Content-Type": "application/json", "Content-Length": "100"}
            send_head(sock, "/webhooks/telegram/webhook", {**headers, "X-Telegram-Bot-Api-Secret-Token": SECRET})
            sockets.append(sock)
        status, body = first_status(assistant, 503)
        assert status == 503
        assert body["retry_after"] > 0
        assert body["text"].startswith("Зараз мені ставлять запитання")  # polite, in the hinted language
        sockets[0].close()  # one client hangs up without ever sending its body
        status, _ = first_status(assistant, 400)
        assert status == 400
    status, _ = rest_status(assistant)
    assert status == 400
