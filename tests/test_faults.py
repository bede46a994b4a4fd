"""The action server down or slow: a polite answer with the helpline within a bounded time, never silence.

One Rasa server for the module, its action endpoint on a port the tests control: nothing listens
there (down), a fake server that never answers in time (slow), then the real action server (back).
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest
import requests

from pobyt.channels.guard import technical_problem
from pobyt.messages import say
from tests.servers import API_TOKEN, MODEL, free_port, running_actions, running_rasa

pytestmark = pytest.mark.e2e

#: Rasa's own wait for an action is 300 s; the channel's bound in these tests.
REPLY_TIMEOUT_S = 5
#: The bound plus generous slack for a loaded 2-core machine.
ANSWER_WITHIN_S = REPLY_TIMEOUT_S + 15
HELPLINE = "0850 211 478"


@pytest.fixture(scope="module")
def rasa(tmp_path_factory):
    if not MODEL.exists():
        pytest.skip("no trained model: run `make train` (make test does)")
    workdir = tmp_path_factory.mktemp("faults")
    port = free_port()
    env = {"POBYT_TODAY": "2026-11-24", "POBYT_REPLY_TIMEOUT_S": str(REPLY_TIMEOUT_S)}
    with running_rasa(workdir, env, f"http://127.0.0.1:{port}/webhook") as url:
        yield url, port, workdir


@contextmanager
def slow_action_server(port: int) -> Iterator[threading.Event]:
    """An action server that holds every request until the yielded event is set (then answers nothing)."""
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            release.wait(timeout=300)
            body = b'{"events": [], "responses": []}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield release
    finally:
        release.set()
        server.shutdown()
        server.server_close()


def ask(url: str, sender: str, message: str) -> tuple[list, float]:
    start = time.monotonic()
    response = requests.post(
        f"{url}/webhooks/rest/webhook",
        json={"sender": sender, "message": message},
        params={"token": API_TOKEN},
        timeout=ANSWER_WITHIN_S + 30,
    )
    assert response.status_code == 200, response.text
    return response.json(), time.monotonic() - start


def test_action_server_down_gets_the_technical_answer_with_the_helpline(rasa):
    url, _, _ = rasa
    replies, elapsed = ask(url, "down-en", "what do I need for family reunion")
    assert [r["text"] for r in replies] == [technical_problem("en")]
    assert replies[0]["text"].startswith(say("fault.technical", "en"))
    assert HELPLINE in replies[0]["text"]
    assert elapsed < ANSWER_WITHIN_S


def test_the_technical_answer_is_in_the_users_language(rasa):
    url, _, _ = rasa
    (reply,), _ = ask(url, "down-uk", "Які документи потрібні для возз'єднання родини?")
    assert reply["text"] == technical_problem("uk")
    assert reply["custom"]["pobyt"]["language"] == "uk"
    (reply,), _ = ask(url, "down-ru", "Какие документы нужны для воссоединения семьи?")
    assert reply["text"] == technical_problem("ru")


def test_a_slow_action_server_gets_the_technical_answer_within_the_bound(rasa):
    url, port, _ = rasa
    with slow_action_server(port):
        replies, elapsed = ask(url, "slow-en", "what do I need for family reunion")
    assert [r["text"] for r in replies] == [technical_problem("en")]
    assert REPLY_TIMEOUT_S <= elapsed < ANSWER_WITHIN_S


def test_when_the_action_server_is_back_the_conversation_goes_on(rasa):
    url, port, workdir = rasa
    sender = "back"
    replies, _ = ask(url, sender, "what do I need for family reunion")
    assert [r["text"] for r in replies] == [technical_problem("en")]
    with running_actions(workdir, port, {"POBYT_TODAY": "2026-11-24"}):
        replies, _ = ask(url, sender, "what do I need for family reunion")
        assert [r["text"] for r in replies][-1] == "Who is your family member in Slovakia?"
        (documents,), _ = ask(url, sender, replies[-1]["buttons"][1]["payload"])
        assert documents["text"].split("\n")[1] == "Documents you need:"
        (fees,), _ = ask(url, sender, "how much does it cost")
        assert fees["text"].split("\n")[1:3] == [
            "Fees:",
            "• EUR 132.50: Application for temporary residence (paid when you apply)",
        ]
    slots = requests.get(f"{url}/conversations/rest:{sender}/tracker", params={"token": API_TOKEN}, timeout=30).json()[
        "slots"
    ]
    assert (slots["procedure"], slots["aspect"]) == ("temporary_residence_family_reunion", "fees")
