"""Bad input on every public endpoint (REST, which the widget uses, and the Telegram webhook).

One real Rasa server (with the real action server and a fake Bot API) for the whole module. Each
case asserts what the person or the client sees: a polite answer in their language for a message,
a 4xx with a JSON error for a broken request, never a 500; and that others are still answered.
The staff console (pobyt/staff/) is being built separately and is not covered here yet.
"""

from __future__ import annotations

import asyncio
import json
import re

import pytest
import requests

from pobyt.channels import guard
from pobyt.messages import say
from tests import fake_telegram as tg
from tests.servers import API_TOKEN, MODEL, running_assistant

REST = "/webhooks/rest/webhook"
TELEGRAM = "/webhooks/telegram/webhook"
DISCLAIMER_EN = say("disclaimer", "en")


# --- unit tests of the checks every channel applies -------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  hello  ", "hello"),
        ("a\x00b\x07c\x1b[31md", "abc[31md"),
        ("line one\r\nline two\rthree", "line one\nline two\nthree"),
        ("tab\tstays", "tab\tstays"),
        ("\ud800family\udfff reunion", "family reunion"),
        ("\x85\x9fC1 controls", "C1 controls"),
        ("👨\u200d👩\u200d👧 family", "👨\u200d👩\u200d👧 family"),  # emoji joiners are kept
    ],
)
def test_clean_text_removes_control_characters_and_broken_halves(raw, clean):
    assert guard.clean_text(raw) == clean


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "input.no_words"),
        ("🙂🙂", "input.no_words"),
        ("?!… — «»", "input.no_words"),
        ("👨\u200d👩\u200d👧", "input.no_words"),
        ("a" * (guard.MAX_MESSAGE_CHARS + 1), "input.too_long"),
        ("🙂" * (guard.MAX_MESSAGE_CHARS + 1), "input.too_long"),
        ("a" * guard.MAX_MESSAGE_CHARS, None),
        ("ВНЖ?", None),
        ("5", None),
    ],
)
def test_text_problem(text, problem):
    assert guard.text_problem(text) == problem


@pytest.mark.parametrize(
    ("sender", "valid"),
    [("me", True), ("x" * 128, True), ("x" * 129, False), ("", False), ("  ", False), ("a\nb", False), (5, False)],
)
def test_valid_sender(sender, valid):
    assert guard.valid_sender(sender) is valid


def test_silence_needs_a_fault_answer_except_after_a_reset():
    assert guard.needs_fault_answer("hello", replies=0, finished=True)
    assert guard.needs_fault_answer("hello", replies=2, finished=False)
    assert not guard.needs_fault_answer("hello", replies=1, finished=True)
    assert not guard.needs_fault_answer("/restart", replies=0, finished=True)


async def test_run_bounded_stops_waiting_but_lets_the_work_finish():
    release = asyncio.Event()
    done = []

    async def slow() -> None:
        await release.wait()
        done.append(True)

    assert await guard.run_bounded(slow(), 0.05) is False
    release.set()
    for _ in range(100):  # the shielded work goes on in the background
        if done:
            break
        await asyncio.sleep(0.01)
    assert done == [True]


async def test_run_bounded_turns_an_exception_into_no_answer():
    async def broken() -> None:
        raise RuntimeError("tracker store unavailable")

    assert await guard.run_bounded(broken(), 1.0) is True


def test_reply_timeout_setting():
    assert guard.reply_timeout({}) == guard.DEFAULT_TIMEOUT_S
    assert guard.reply_timeout({guard.TIMEOUT_VARIABLE: "2.5"}) == 2.5
    with pytest.raises(ValueError):
        guard.reply_timeout({guard.TIMEOUT_VARIABLE: "0"})


# --- the real server ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not MODEL.exists():
        pytest.skip("no trained model: run `make train` (make test does)")
    workdir = tmp_path_factory.mktemp("bad_input")
    with tg.running_fake_telegram() as fake:
        credentials = workdir / "credentials.yml"
        credentials.write_text(
            "pobyt.channels.rest.RestInput:\npobyt.channels.widget.WidgetInput:\n"
            "pobyt.channels.telegram.TelegramInput:\n"
            f"  token: '{tg.TOKEN}'\n  webhook_secret: '{tg.SECRET}'\n  api_url: '{fake.url}'\n"
        )
        with running_assistant(workdir, {"POBYT_TODAY": "2026-11-24"}, credentials=credentials) as url:
            yield url, fake, workdir


def post_raw(url: str, body: bytes, path: str = REST, headers: dict | None = None) -> requests.Response:
    # The REST channel is for integrations: they send the API token.
    token = {"Authorization": f"Bearer {API_TOKEN}"} if path == REST else {}
    headers = {"Content-Type": "application/json", **token, **(headers or {})}
    return requests.post(f"{url}{path}", data=body, headers=headers, timeout=120)


def say_rest(url: str, sender: str, message, **extra) -> requests.Response:
    return requests.post(
        f"{url}{REST}",
        json={"sender": sender, "message": message, **extra},
        params={"token": API_TOKEN},
        timeout=120,
    )


def assert_still_serving(url: str, sender: str) -> None:
    """Another person still gets a real answer."""
    response = say_rest(url, sender, "what do I need for family reunion")
    assert response.status_code == 200, response.text
    assert [m["text"] for m in response.json()][0] == DISCLAIMER_EN


@pytest.mark.e2e
@pytest.mark.parametrize(
    "message", ["", "   \n\t  ", "🙂🙂🙂", "👨\u200d👩\u200d👧", "\x00\x07\x1b", "?!…", "/"], ids=repr
)
def test_messages_without_words_get_a_polite_request_for_words(server, message):
    url, _, _ = server
    response = say_rest(url, f"empty-{abs(hash(message))}", message)
    assert response.status_code == 200
    assert [m["text"] for m in response.json()] == [say("input.no_words", "en")]


@pytest.mark.e2e
def test_the_polite_answer_follows_the_page_or_conversation_language(server):
    url, _, _ = server
    (reply,) = say_rest(url, "empty-uk", "🙂", metadata={"language": "uk"}).json()
    assert reply["text"] == say("input.no_words", "uk")
    assert say_rest(url, "empty-ru", "какие документы нужны для воссоединения семьи").status_code == 200
    (reply,) = say_rest(url, "empty-ru", "   ").json()
    assert reply["text"] == say("input.no_words", "ru")


@pytest.mark.e2e
def test_control_characters_and_broken_utf16_halves_in_a_question_are_ignored(server):
    url, _, _ = server
    body = json.dumps({"sender": "ctrl", "message": "what do I need\x00 for\x07 family\x1b reunion"}).encode()
    replies = post_raw(url, body).json()
    assert [m["text"] for m in replies][:2] == [DISCLAIMER_EN, "Who is your family member in Slovakia?"]
    # A lone surrogate is valid JSON but not valid text: it is dropped, not stored.
    body = b'{"sender": "surrogate", "message": "\\ud800what do I need for family reunion\\udfff"}'
    response = post_raw(url, body)
    assert response.status_code == 200
    assert response.json()[0]["text"] == DISCLAIMER_EN


@pytest.mark.e2e
@pytest.mark.parametrize(
    "body",
    [
        b'{"sender": "a", "message": "\xff\xfe invalid utf-8"}',
        b"\xc3\x28",
        b"{",
        b"not json",
        b"",
        b'{"sender": "a", "message": "unterminated',
        b"[]",
        b'"just a string"',
        b"42",
        b"null",
        b'{"sender": "a"}',
        b'{"message": "hi"}',
        b'{"sender": "a", "message": 42}',
        b'{"sender": "a", "message": ["hi"]}',
        b'{"sender": "a", "message": {"text": "hi"}}',
        b'{"sender": "a", "message": null}',
        b'{"sender": 5, "message": "hi"}',
        b'{"sender": "", "message": "hi"}',
        b'{"sender": "a\\nb", "message": "hi"}',
        b'{"sender": "' + b"x" * 1000 + b'", "message": "hi"}',
    ],
    ids=lambda b: repr(b[:40]),
)
def test_broken_requests_get_a_4xx_with_a_json_error(server, body):
    url, _, _ = server
    response = post_raw(url, body)
    assert 400 <= response.status_code < 500, response.text
    assert isinstance(response.json()["error"], str)


@pytest.mark.e2e
def test_wrong_typed_metadata_is_ignored(server):
    url, _, _ = server
    for i, metadata in enumerate((["uk"], "uk", {"language": 5}, {"language": "xx", "other": "x" * 10_000})):
        response = say_rest(url, f"metadata-{i}", "what do I need for family reunion", metadata=metadata)
        assert response.status_code == 200
        assert response.json()[0]["text"] == DISCLAIMER_EN


@pytest.mark.e2e
def test_100000_characters_are_refused_politely_in_the_users_language(server):
    url, _, _ = server
    response = say_rest(url, "long", "a" * 100_000)
    assert response.status_code == 413
    assert response.json()["text"] == say("input.too_long", "en", max=guard.MAX_MESSAGE_CHARS)
    response = say_rest(url, "long-uk", "я" * 100_000, metadata={"language": "uk"})
    assert response.status_code == 413
    assert response.json()["text"].startswith("Ваше повідомлення задовге")
    assert_still_serving(url, "after-long")


@pytest.mark.e2e
def test_html_and_telegram_markup_are_never_echoed_as_markup(server):
    url, _, _ = server
    for message in (
        "<script>alert(1)</script> what do I need for family reunion",
        '<img src=x onerror="alert(1)"> fees',
        "*bold* _italic_ [link](javascript:alert(1)) `code` <b>x</b> &amp; fees for asylum",
    ):
        response = say_rest(url, "markup", message)
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("application/json")
        texts = [m["text"] for m in response.json()]
        assert texts
        assert not any(re.search(r"<script|<img|onerror|javascript:|\[link\]", t) for t in texts), texts


@pytest.mark.e2e
def test_a_flood_from_one_sender_gets_429_and_others_are_still_answered(server):
    url, _, _ = server
    responses = [say_rest(url, "flood", "🙂") for _ in range(25)]
    statuses = [r.status_code for r in responses]
    assert statuses[:11] == [200] * 10 + [429]
    assert statuses.count(429) >= 10  # a token comes back every 2 s: a slow machine lets one or two through
    refused = responses[10]
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["text"] == say("ratelimit.slow_down", "en")
    assert_still_serving(url, "not-the-flooder")


# --- Telegram -------------------------------------------------------------------------------


def deliver(url: str, update) -> requests.Response:
    body = update if isinstance(update, bytes) else json.dumps(update).encode()
    return post_raw(url, body, TELEGRAM, {"X-Telegram-Bot-Api-Secret-Token": tg.SECRET})


@pytest.mark.e2e
def test_telegram_messages_without_words_or_too_long_get_a_polite_answer(server):
    url, fake, _ = server
    for words in ("   ", "🙂", "\x00\x07"):
        assert deliver(url, tg.text(2001, words, language_code="uk")).status_code == 200
    assert deliver(url, tg.text(2001, "a" * 4096, language_code="uk")).status_code == 200
    assert fake.texts(2001) == [say("input.no_words", "uk")] * 3 + [
        say("input.too_long", "uk", max=guard.MAX_MESSAGE_CHARS)
    ]


@pytest.mark.e2e
def test_telegram_markup_injection_is_escaped(server):
    url, fake, _ = server
    words = '<a href="javascript:alert(1)">x</a> *bold* [link](http://evil.example) fees for asylum <b>'
    assert deliver(url, tg.text(2002, words)).status_code == 200
    texts = fake.texts(2002)
    assert texts
    # Only the bot's own markup: a title in bold, the knowledge base's Slovak terms in italics.
    assert all(set(re.findall(r"<[^>]*>", t)) <= {"<b>", "</b>", "<i>", "</i>"} for t in texts), texts


@pytest.mark.e2e
@pytest.mark.parametrize(
    "update",
    [
        {"update_id": 1, "channel_post": {"message_id": 1, "chat": {"id": -100, "type": "channel"}, "text": "hi"}},
        {"update_id": 2, "inline_query": {"id": "1", "from": tg.user(2003), "query": "fees", "offset": ""}},
        {"update_id": 3, "poll_answer": {"poll_id": "1", "user": tg.user(2003), "option_ids": [0]}},
        {"update_id": 4, "my_chat_member": {"chat": tg.chat(2003), "from": tg.user(2003), "date": 1}},
        {"update_id": 5},
        tg.message(2003, new_chat_members=[tg.user(2004)]),
        tg.message(2003, text=42),
        {"update_id": 6, "message": {"message_id": 1, "text": "no chat"}},
        {"update_id": 7, "message": {"message_id": 1, "chat": {"id": "2003"}, "text": "chat id as text"}},
        {"update_id": 8, "message": "not an object"},
        {"update_id": 9, "callback_query": {"id": "1", "data": "/greet"}},
    ],
    ids=lambda u: ",".join(k for k in u if k != "update_id") or "empty",
)
def test_telegram_unsupported_or_malformed_updates_are_acknowledged_and_ignored(server, update):
    url, fake, _ = server
    before = len(fake.calls_of("sendMessage"))
    response = deliver(url, update)
    assert response.status_code == 200, response.text
    assert len(fake.calls_of("sendMessage")) == before


@pytest.mark.e2e
@pytest.mark.parametrize(
    "body", [b"{", b"\xff\xfe", b"[]", b'{"update_id": "1"}', b'{"message": {}}', b"null"], ids=repr
)
def test_telegram_broken_requests_get_a_400(server, body):
    url, _, _ = server
    response = deliver(url, body)
    assert response.status_code == 400
    assert "error" in response.json()


@pytest.mark.e2e
def test_a_telegram_flood_is_told_once_and_others_are_still_answered(server):
    url, fake, _ = server
    for _ in range(25):
        assert deliver(url, tg.text(2005, "🙂", language_code="ru")).status_code == 200
    texts = fake.texts(2005)
    assert texts[:11] == [say("input.no_words", "ru")] * 10 + [say("ratelimit.slow_down", "ru")]
    assert len(texts) <= 15  # told once, then quiet (a token comes back every 2 s)
    assert deliver(url, tg.text(2006, "what do I need for family reunion")).status_code == 200
    assert fake.texts(2006)[0] == DISCLAIMER_EN


@pytest.mark.e2e
def test_no_request_above_was_answered_with_a_server_error(server):
    _, _, workdir = server
    log = (workdir / "rasa.log").read_text()
    assert "Exception occurred while handling uri" not in log  # Sanic's line for a 500
    assert not re.search(r"Telegram update \d+ failed", log)  # our line for an update whose handling raised
    assert "Traceback" not in log
